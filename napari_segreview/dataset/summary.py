"""The summary of a dataset run: per-label statistics, failed cases and the cases worth opening first."""

from __future__ import annotations

from collections.abc import Sequence

from ..metrics import summarize

WORST_CASES = 10


def worst_cases(rows: Sequence[dict], count: int | None = WORST_CASES) -> list[dict]:
    """Cases by their worst label's Dice, lowest first (ties: lower mean Dice, then name).

    Only labels present in either mask count (``both_empty`` rows say nothing); failed cases are left out
    (they are listed apart). Each entry: ``case``, ``dice`` (the minimum), ``label`` (where it is),
    ``mean_dice`` (over the case's labels).
    """
    by_case: dict[str, list[dict]] = {}
    for row in rows:
        if row["status"] not in ("error", "both_empty") and row.get("label") is not None:
            by_case.setdefault(row["case"], []).append(row)
    entries = []
    for case, case_rows in by_case.items():
        worst = min(case_rows, key=lambda row: (row["dice"], row["label"]))
        mean = sum(row["dice"] for row in case_rows) / len(case_rows)
        entries.append({"case": case, "dice": worst["dice"], "label": worst["label"], "mean_dice": mean})
    entries.sort(key=lambda entry: (entry["dice"], entry["mean_dice"], entry["case"]))
    return entries if count is None else entries[:count]


def dataset_summary(rows: Sequence[dict]) -> dict:
    """``cases``, ``failed_cases`` (case and message), ``labels`` (per label, ``metrics.summarize``'s entry:
    counts ``rows``, ``both_empty``, ``inf_rows`` and mean/median/std/min/max of each metric, plus
    ``error_rows``: the failed cases, which lack a row of every label, and ``class``, the label's name when the
    dataset names it), ``worst_cases`` and, when the dataset declares region classes, ``regions`` (per region
    name, the same entry)."""
    failed = [{"case": row["case"], "message": row["message"]} for row in rows if row["status"] == "error"]
    labelled = [row for row in rows if row["status"] != "error" and row.get("label") is not None]
    names = {row["label"]: row["class"] for row in labelled if row.get("class")}
    labels = {}
    for label, entry in summarize(labelled).items():
        labels[label] = {**entry, "error_rows": len(failed), **({"class": names[label]} if label in names else {})}
    summary = {
        "cases": len({row["case"] for row in rows}),
        "failed_cases": failed,
        "labels": labels,
        "worst_cases": worst_cases(rows),
    }
    # region classes (unions of labels, from dataset.json): rows without a label but with a class name
    region_rows: dict[str, list[dict]] = {}
    for row in rows:
        if row["status"] != "error" and row.get("label") is None and row.get("class"):
            region_rows.setdefault(row["class"], []).append({key: v for key, v in row.items() if key != "label"})
    if region_rows:
        summary["regions"] = {
            name: {**summarize(members)[1], "error_rows": len(failed)} for name, members in region_rows.items()
        }
    return summary
