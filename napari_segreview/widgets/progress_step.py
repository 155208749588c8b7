"""A napari progress bar showing one ``Progress(done, total, message)`` step of a core generator."""

from __future__ import annotations


def show_step(bar, step) -> None:
    """Move ``bar`` to ``step`` (its total may grow as the generator learns how much work there is)."""
    bar.total = step.total
    bar.n = step.done
    bar.set_description(step.message)
    bar.refresh()
