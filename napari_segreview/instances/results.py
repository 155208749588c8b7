"""What a matching gives back: one record per GT and per predicted instance, the summary, and table rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GT_STATUSES = ("matched", "missed")
PRED_STATUSES = ("matched", "false positive")


@dataclass(frozen=True)
class GtInstance:
    """One ground-truth instance (in ``brats`` mode one lesion: GT components merged by the dilation rule).

    id:       instance id in the GT map (brats: the smallest id among ``parts``)
    status:   "matched" or "missed"
    matched:  ids of the predicted instance(s) matched to it (several in brats mode)
    iou, dice: overlap with the matched prediction(s); 0 when missed
    hd95, assd: distances to the matched prediction(s) in the unit of ``spacing``; inf when missed (the SPEC's
              empty-mask policy; the brats summary uses the penalty instead); nan when distances were not asked for
    voxels, volume: size in voxels and in spacing units (voxels x prod(spacing))
    centre:   centre of mass in array index coordinates
    box:      array index box (stop exclusive)
    best_iou: largest IoU with any predicted instance, matched or not (how near a missed one came)
    parts:    the GT instance ids it is made of (brats merges; otherwise just ``(id,)``)
    counted:  False for brats lesions at or below the minimum volume, which the summary leaves out
    """

    id: int
    status: str
    matched: tuple[int, ...]
    iou: float
    dice: float
    hd95: float
    assd: float
    voxels: int
    volume: float
    centre: tuple[float, ...]
    box: tuple[slice, ...]
    best_iou: float = 0.0
    parts: tuple[int, ...] = ()
    counted: bool = True


@dataclass(frozen=True)
class PredInstance:
    """One predicted instance: ``status`` "matched" or "false positive", ``matched`` the GT id(s) it belongs to,
    ``iou`` its IoU with its match (0 for a false positive), ``best_iou`` its largest IoU with any GT instance;
    the rest as in :class:`GtInstance`."""

    id: int
    status: str
    matched: tuple[int, ...]
    iou: float
    voxels: int
    volume: float
    centre: tuple[float, ...]
    box: tuple[slice, ...]
    dice: float = 0.0
    best_iou: float = 0.0


def _position_columns(centre: tuple[float, ...], box: tuple[slice, ...]) -> dict:
    columns = {f"centre_{axis}": float(value) for axis, value in enumerate(centre)}
    columns.update({f"box_lo_{axis}": s.start for axis, s in enumerate(box)})
    columns.update({f"box_hi_{axis}": s.stop for axis, s in enumerate(box)})
    return columns


def _ids_text(ids: tuple[int, ...]) -> str:
    return " ".join(str(i) for i in ids)


@dataclass
class InstanceMatching:
    """Every GT and predicted instance with its status, the summary (keys in ``summary.detection_summary`` plus
    threshold, criterion, mode), and the options that produced them: ``spacing`` per array axis and the surface
    ``convention`` of the distances."""

    gt: list[GtInstance]
    pred: list[PredInstance]
    summary: dict
    threshold: float
    criterion: str
    mode: str
    spacing: tuple[float, ...]
    convention: str = "border"

    def rows(self) -> list[dict]:
        """One dict per GT instance and per unmatched prediction (false positive), for tables and CSV.

        Keys: kind ("gt"/"pred"), id, status, voxels, volume, iou, dice, hd95, assd, matched (partner ids,
        space separated, "" if none), best_iou, centre_<axis>, box_lo_<axis>, box_hi_<axis>. A false positive has
        no partner: Dice and IoU 0 and distances inf, as for an empty ground truth.
        """
        rows = []
        for g in self.gt:
            rows.append(
                {
                    "kind": "gt",
                    "id": g.id,
                    "status": g.status,
                    "voxels": g.voxels,
                    "volume": g.volume,
                    "iou": g.iou,
                    "dice": g.dice,
                    "hd95": g.hd95,
                    "assd": g.assd,
                    "matched": _ids_text(g.matched),
                    "best_iou": g.best_iou,
                    **_position_columns(g.centre, g.box),
                }
            )
        for p in self.pred:
            if p.status == "matched":
                continue
            rows.append(
                {
                    "kind": "pred",
                    "id": p.id,
                    "status": p.status,
                    "voxels": p.voxels,
                    "volume": p.volume,
                    "iou": 0.0,
                    "dice": 0.0,
                    "hd95": np.inf,
                    "assd": np.inf,
                    "matched": "",
                    "best_iou": p.best_iou,
                    **_position_columns(p.centre, p.box),
                }
            )
        return rows
