"""Running the cases of a dataset in this process or on a dask.distributed cluster, writing as they finish.

With a client, each case is submitted as paths and read on a worker; at most ``in_flight`` cases are
submitted at a time, so memory stays bounded by a few cases whatever the size of the dataset. Results arrive
in completion order; the rows are sorted (by case, then label) wherever they are written or returned, so every
mode gives the same rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from functools import partial
from itertools import islice
from typing import Any

from . import evaluation
from .evaluation import CaseFiles, MetricOptions, error_rows, row_order
from .report import write_rows

# on_label(case, labels done, labels in the case) while a case is evaluated
LabelProgress = Callable[[str, int, int], None]


def _in_process(
    cases: Sequence[CaseFiles], options: MetricOptions, on_label: LabelProgress | None = None
) -> Iterator[list[dict]]:
    for case in cases:
        progress = evaluation.LABEL_PROGRESS.set(None if on_label is None else partial(on_label, case.case))
        try:
            # looked up at call time, so tests can count or interrupt evaluations
            rows = evaluation.evaluate_case(case, options)
        finally:
            evaluation.LABEL_PROGRESS.reset(progress)
        yield rows  # outside the callback's context: the consumer runs here


def _evaluate_reporting(case: CaseFiles, options: MetricOptions, topic: str) -> list[dict]:
    """``evaluate_case`` on a worker, each label it finishes logged as an event (case, done, total) on ``topic``,
    which the client hands to its ``on_label``."""
    from dask.distributed import get_worker

    worker = get_worker()
    progress = evaluation.LABEL_PROGRESS.set(lambda done, total: worker.log_event(topic, (case.case, done, total)))
    try:
        return evaluation.evaluate_case(case, options)
    finally:
        evaluation.LABEL_PROGRESS.reset(progress)


def _on_client(
    client: Any,
    cases: Sequence[CaseFiles],
    options: MetricOptions,
    in_flight: int | None,
    on_label: LabelProgress | None = None,
):
    from dask.distributed import as_completed

    topic = None
    if on_label is not None:  # the workers' label events, received on the client's event loop
        topic = f"segreview-labels-{uuid.uuid4().hex}"
        client.subscribe_topic(topic, lambda event: on_label(*event[1]))

    if in_flight is None:
        in_flight = 2 * max(1, sum(client.nthreads().values()))
    waiting = iter(cases)
    submitted: dict[Any, CaseFiles] = {}

    def submit(case: CaseFiles):
        # pure=False: a file may change between runs, a cached result must never stand in for reading it
        if topic is None:
            future = client.submit(evaluation.evaluate_case, case, options, pure=False)
        else:
            future = client.submit(_evaluate_reporting, case, options, topic, pure=False)
        submitted[future] = case
        return future

    completed = as_completed([submit(case) for case in islice(waiting, in_flight)])
    try:
        for future in completed:
            case = submitted.pop(future)
            try:
                rows = future.result()
            except Exception as exc:  # the worker died or the task could not run: the run goes on
                rows = error_rows(case.case, f"{case.case}: the worker evaluating it failed ({type(exc).__name__}).")
            future.release()
            following = next(waiting, None)
            if following is not None:
                completed.add(submit(following))
            yield rows
    finally:
        if submitted:  # interrupted: nothing more runs on the cluster for this run
            client.cancel(list(submitted))
        if topic is not None:
            client.unsubscribe_topic(topic)


def iterate_cases(
    cases: Sequence[CaseFiles],
    options: MetricOptions,
    client: Any = None,
    in_flight: int | None = None,
    on_label: LabelProgress | None = None,
) -> Iterator[list[dict]]:
    """Each case's rows as it finishes: in this process when ``client`` is None, else on the cluster of a
    ``dask.distributed.Client`` (``in_flight`` cases submitted at a time, default twice its threads).
    ``on_label`` follows the labels of the cases being evaluated (on a cluster, from the workers' events)."""
    if client is None:
        return _in_process(cases, options, on_label)  # a generator too, so both can be closed
    return _on_client(client, cases, options, in_flight, on_label)


def evaluate_dataset_steps(
    cases: Sequence[CaseFiles],
    options: MetricOptions,
    *,
    out: str | os.PathLike | None = None,
    previous_rows: Sequence[dict] = (),
    client: Any = None,
    in_flight: int | None = None,
    on_label: LabelProgress | None = None,
) -> Generator[tuple[int, int, list[dict]], None, list[dict]]:
    """Evaluate the cases not already in ``previous_rows``; yields ``(done, total, rows of that case)`` after
    every case and returns all rows, sorted by case then label.

    After every finished case ``out`` (CSV or JSON) is rewritten atomically with every row so far, so an
    interruption (Ctrl-C, or closing this generator) keeps each finished case; it records ``options`` (see
    ``report.write_rows``), so ``previous_rows`` must have been computed with them: continuing a report,
    check it first with ``report.option_mismatch``. ``on_label`` as in :func:`iterate_cases`.
    """
    rows = sorted(previous_rows, key=row_order)
    finished = {row["case"] for row in rows}
    todo = [case for case in cases if case.case not in finished]
    # closing: an interruption cancels what is still queued on a cluster at once, not when garbage-collected
    with closing(iterate_cases(todo, options, client, in_flight, on_label)) as results:
        for done, case_rows in enumerate(results, start=1):
            rows = sorted([*rows, *case_rows], key=row_order)
            if out is not None:
                write_rows(out, rows, options)
            yield done, len(todo), case_rows
    if out is not None and not todo:
        write_rows(out, rows, options)
    return rows


def evaluate_dataset(
    cases: Sequence[CaseFiles],
    options: MetricOptions,
    *,
    out: str | os.PathLike | None = None,
    previous_rows: Sequence[dict] = (),
    client: Any = None,
    in_flight: int | None = None,
    on_case: Callable[[int, int, list[dict]], None] | None = None,
    on_label: LabelProgress | None = None,
) -> list[dict]:
    """:func:`evaluate_dataset_steps` run to its end; ``on_case(done, total, rows)`` follows progress, and
    ``on_label(case, done, total)`` the labels of a case (on a cluster as the workers report them)."""
    steps = evaluate_dataset_steps(
        cases, options, out=out, previous_rows=previous_rows, client=client, in_flight=in_flight, on_label=on_label
    )
    with closing(steps):
        while True:
            try:
                step = next(steps)
            except StopIteration as finished:
                return finished.value
            if on_case is not None:
                on_case(*step)
