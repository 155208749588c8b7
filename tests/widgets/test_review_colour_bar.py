"""The heatmap's colour scale in the review dock (docks opened through napari's plugin path): the colours of
the heatmap in view, from 0 (or -limit, signed) to the limit, named with the unit; the surface's in 3D; gone
with the result. No canvas colour bar is drawn (its first draw froze the window for 130-580 ms)."""

from __future__ import annotations

import numpy as np
import pytest

from napari_segreview.widgets.colour_bar import format_value
from napari_segreview.widgets.review_layers import find_layer
from tests.widgets.test_review_flows import PLUGIN, computed, open_review


@pytest.fixture
def reviewed(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "mni152")
    dock = open_review(viewer)
    computed(dock, qtbot)
    return viewer, dock


def test_the_scale_shows_the_heatmaps_colours_up_to_the_limit_with_the_unit(reviewed):
    viewer, dock = reviewed
    bar = dock.colour_bar
    heatmap = find_layer(viewer, "distance")
    assert dock.scale_row.isVisibleTo(dock)
    assert (bar.low, bar.high) == pytest.approx(tuple(heatmap.contrast_limits))
    assert bar.high == pytest.approx(dock.clamp.value())
    assert "contour distance (mm)" in bar.toolTip()
    assert dock.colour_bar_caption.text() == "distance (mm)"  # the unit shows without hovering
    for fraction in (0.0, 0.5, 1.0):
        drawn = bar.colour_at(fraction).getRgbF()
        assert drawn == pytest.approx(tuple(heatmap.colormap.map(np.array([fraction]))[0]), abs=0.01)
    assert not heatmap.colorbar.visible  # napari's canvas bar stays off

    dock.clamp.setValue(3.5)  # the user's limit: bar and heatmap follow
    assert bar.high == pytest.approx(3.5) and heatmap.contrast_limits[1] == pytest.approx(3.5)
    assert bar.tick_labels() == ["0", "1.75", "3.5"]


def test_in_3d_the_scale_is_the_surfaces_and_back_in_2d_the_heatmaps(reviewed, qtbot):
    viewer, dock = reviewed
    viewer.dims.ndisplay = 3
    qtbot.waitUntil(lambda: find_layer(viewer, "surface") is not None, timeout=10_000)
    surface = find_layer(viewer, "surface")
    assert "surface distance to GT (mm)" in dock.colour_bar.toolTip()
    assert dock.colour_bar_caption.text() == "surface (mm)"
    assert dock.colour_bar.colour_at(0.0).getRgbF() == pytest.approx(
        tuple(surface.colormap.map(np.array([0.0]))[0]), abs=0.01
    )
    viewer.dims.ndisplay = 2
    assert "contour distance (mm)" in dock.colour_bar.toolTip()


def test_the_scale_goes_with_the_result(reviewed):
    viewer, dock = reviewed
    viewer.layers.remove(viewer.layers["demo model prediction"])
    assert not dock.scale_row.isVisibleTo(dock)


def test_a_signed_review_scales_from_minus_to_plus_the_limit(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "mni152")
    dock = open_review(viewer)
    dock.inputs.signed.setChecked(True)
    computed(dock, qtbot)
    limit = dock.clamp.value()
    assert (dock.colour_bar.low, dock.colour_bar.high) == pytest.approx((-limit, limit))
    assert dock.colour_bar.tick_labels()[0].startswith("−")
    assert "signed contour distance (mm)" in dock.colour_bar.toolTip()


@pytest.mark.parametrize(("value", "text"), [(0, "0"), (2.5, "2.5"), (14.6291, "14.6"), (120.4, "120"), (-3, "−3")])
def test_tick_labels_are_short(value, text):
    assert format_value(value) == text
