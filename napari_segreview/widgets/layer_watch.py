"""Following the change events of the layers a dock has computed a result from (the review dock, the instances
tab), so that the result is marked stale, or checked again, when they change."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from napari.qt.threading import thread_worker

from ..review.compare import arrays_differ

# the events that change what a computed-from layer holds or where it lies: any of them makes the result stale
CHANGE_EVENTS = ("data", "paint", "scale", "translate", "rotate", "shear", "affine")
# napari's undo and redo write into the array and emit only set_data (through refresh), which napari also emits
# on every slice change: after it the data are compared with the computed-from ones, off the main thread. A hidden
# layer is not refreshed, so an undo there shows when the layer is shown again (visible)
MAYBE_CHANGED_EVENTS = ("set_data", "visible")


def rewatch(watched: Sequence, layers, changed: Callable, maybe_changed: Callable) -> list:
    """Disconnect ``changed``/``maybe_changed`` from the layers in ``watched``, connect them to ``layers`` (None:
    to none) and return the layers now watched."""
    now = list(layers or ())
    for connect, group in ((False, watched), (True, now)):
        for layer in group:
            for names, callback in ((CHANGE_EVENTS, changed), (MAYBE_CHANGED_EVENTS, maybe_changed)):
                for name in names:
                    event = getattr(layer.events, name, None)
                    if event is not None:
                        (event.connect if connect else event.disconnect)(callback)
    return now


# errors are shown by the dock as one sentence (or, for the comparison, end it quietly); without ignore_errors
# superqt would also re-raise them on the main thread as a traceback
@thread_worker(ignore_errors=True)
def data_differ_worker(layers, arrays) -> bool:
    """True when a layer's data differ from the array the result was computed from (read-only comparison)."""
    return any(
        np.shape(layer.data) != array.shape or arrays_differ(np.asarray(layer.data), array)
        for layer, array in zip(layers, arrays, strict=True)
    )
