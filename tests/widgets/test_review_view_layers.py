"""The review's default view in a real viewer: the TP/FP/FN overlay above a light heatmap, error colours apart
from the classes' own, and in 3D only the surface, seen from above."""

from __future__ import annotations

import numpy as np
import pytest
from napari.layers import Labels
from napari.utils._proxies import PublicOnlyProxy
from napari.utils.colormaps.standardize_color import transform_color
from skimage.color import deltaE_ciede2000, rgb2lab

from napari_segreview.review.overlay import FALSE_NEGATIVE, FALSE_POSITIVE, OVERLAY_COLORS, WRONG_CLASS
from napari_segreview.review.surface import SurfaceMesh
from napari_segreview.widgets.review_layers import (
    ThreeDView,
    find_layer,
    reveal,
    show_heatmap,
    show_overlay,
    show_surface,
    view_from_above,
)

MNI_AXES = ("inferior", "posterior", "left")
ERRORS = (FALSE_POSITIVE, FALSE_NEGATIVE, WRONG_CLASS)
# CIEDE2000 difference above which two colours are told apart at a glance (about 2.3 is "just noticeable")
DISTINCT = 20.0


def _reviewed(viewer, shape=(6, 10, 12)):
    """A GT / prediction pair with the three review layers made the way the dock makes them (overlay first)."""
    grid = np.indices(shape)
    gt = ((grid[1] - 5) ** 2 + (grid[2] - 6) ** 2 < 12).astype(np.uint8)
    geometry = {"scale": (2.0, 1.0, 1.0), "units": "mm", "axis_labels": MNI_AXES}
    viewer.add_image(np.random.default_rng(0).random(shape), name="t1", **geometry)
    reference = viewer.add_labels(gt, name="gt", **geometry)
    viewer.add_labels(np.roll(gt, 1, axis=2), name="pred", visible=False, **geometry)  # the user hid it
    show_overlay(viewer, reference, np.ones(shape, np.uint8))
    distances = np.where(gt > 0, 1.0, np.nan).astype(np.float32)
    show_heatmap(viewer, reference, "distance", distances, 3.0, False)
    for role in ("errors", "distance"):
        reveal(viewer, role)  # added hidden, shown a turn later, as the dock does
    vertices = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 5], [4, 3, 3]], np.float32)
    mesh = SurfaceMesh(vertices, np.array([[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]]), np.zeros(4, np.float32))
    show_surface(viewer, reference, mesh, 3.0, False)
    return reference


def _index(viewer, role):
    return list(viewer.layers).index(find_layer(viewer, role))


def test_the_overlay_sits_above_the_heatmap_when_made_updated_or_remade(make_napari_viewer):
    viewer = make_napari_viewer()
    reference = _reviewed(viewer)
    assert _index(viewer, "errors") > _index(viewer, "distance")
    # updated in place
    show_heatmap(viewer, reference, "distance", np.zeros((6, 10, 12), np.float32), 3.0, False)
    assert _index(viewer, "errors") > _index(viewer, "distance")
    # a 2D pair: both layers are re-made (a layer cannot change its dimensionality), heatmap last
    flat = viewer.add_labels(np.zeros((10, 12), np.uint8), name="gt 2d")
    show_overlay(viewer, flat, np.ones((10, 12), np.uint8))
    show_heatmap(viewer, flat, "distance", np.zeros((10, 12), np.float32), 3.0, False)
    assert find_layer(viewer, "distance").ndim == 2
    assert _index(viewer, "errors") > _index(viewer, "distance")
    # the heatmap first, then the overlay
    viewer.layers.remove(find_layer(viewer, "errors"))
    show_overlay(viewer, flat, np.ones((10, 12), np.uint8))
    assert _index(viewer, "errors") > _index(viewer, "distance")


def test_matching_borders_are_faint_and_far_ones_strong(make_napari_viewer):
    viewer = make_napari_viewer()
    _reviewed(viewer)
    colormap = find_layer(viewer, "distance").colormap
    zero, far = colormap.map(np.array([0.0]))[0], colormap.map(np.array([1.0]))[0]
    assert zero[3] <= 0.3  # a distance of 0 barely covers what lies below: no dark outlines
    assert not (zero[:3].max() < 0.3 and zero[3] > 0.5)  # and is not turbo's opaque near-black
    assert far[3] == 1.0 and far[:3].max() - far[:3].min() > 0.4  # the largest distances: an opaque, vivid colour


def _label_colours(viewer) -> np.ndarray:
    """napari's own colours for classes 1..5 and the MNI sample's class colours (as the reader gives them)."""
    default = Labels(np.zeros((2, 2), np.uint8))
    colours = [default.get_color(value)[:3] for value in range(1, 6)]
    viewer.open_sample("napari-segreview", "mni152")
    sample = viewer.layers["tissue ground truth"]
    colours += [sample.get_color(value)[:3] for value in (1, 2)]
    return np.array(colours, dtype=float)


def test_error_colours_differ_from_the_classes_own_colours_and_from_each_other(make_napari_viewer):
    viewer = make_napari_viewer()
    classes = rgb2lab(_label_colours(viewer)[None])[0]
    errors = rgb2lab(np.array([transform_color(OVERLAY_COLORS[code])[0][:3] for code in ERRORS])[None])[0]
    for code, colour in zip(ERRORS, errors, strict=True):
        nearest = deltaE_ciede2000(np.broadcast_to(colour, classes.shape), classes).min()
        assert nearest > DISTINCT, (code, OVERLAY_COLORS[code], nearest)
    for first in range(len(errors)):
        for second in range(first + 1, len(errors)):
            assert deltaE_ciede2000(errors[first], errors[second]) > DISTINCT


def test_show_heatmap_and_surface_use_the_limit_they_are_given(make_napari_viewer):
    viewer = make_napari_viewer()
    reference = _reviewed(viewer)
    mesh = SurfaceMesh(np.eye(3, dtype=np.float32), np.array([[0, 1, 2]]), np.zeros(3, np.float32))
    show_heatmap(viewer, reference, "distance", np.zeros((6, 10, 12), np.float32), 7.5, False)
    show_surface(viewer, reference, mesh, 7.5, False)
    assert find_layer(viewer, "distance").contrast_limits == pytest.approx([0.0, 7.5])
    assert find_layer(viewer, "surface").contrast_limits == pytest.approx([0.0, 7.5])
    show_heatmap(viewer, reference, "distance", np.zeros((6, 10, 12), np.float32), 2.0, True)
    assert find_layer(viewer, "distance").contrast_limits == pytest.approx([-2.0, 2.0])


@pytest.mark.parametrize("wrapped", [False, True], ids=["viewer", "napari's wrapped viewer"])
def test_3d_shows_only_the_surface_from_above_and_2d_restores_the_layers(make_napari_viewer, wrapped):
    real = make_napari_viewer()
    _reviewed(real)
    viewer = PublicOnlyProxy(real) if wrapped else real
    before = {layer.name: layer.visible for layer in real.layers if layer.name != find_layer(real, "surface").name}
    assert before["pred"] is False and before["t1"] is True
    view = ThreeDView(viewer)
    view.connect()
    real.dims.ndisplay = 3
    surface = find_layer(real, "surface")
    assert surface.visible
    assert [layer.name for layer in real.layers if layer.visible] == [surface.name]
    np.testing.assert_allclose(real.scene.camera.view_direction, (1, 0, 0), atol=1e-6)  # top of the head downwards
    np.testing.assert_allclose(real.scene.camera.up_direction, (0, -1, 0), atol=1e-6)  # the front of the head up
    real.layers["t1"].visible = True  # the user looks at the T1 in 3D for a moment
    real.dims.ndisplay = 2
    assert {name: real.layers[name].visible for name in before} == before
    assert not surface.visible
    view.disconnect()
    real.dims.ndisplay = 3
    assert real.layers["gt"].visible  # disconnected: nothing is hidden any more


def test_3d_without_a_review_surface_leaves_the_layers_alone(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_labels(np.ones((4, 5, 6), np.uint8), name="gt")
    view = ThreeDView(viewer)
    view.connect()
    viewer.dims.ndisplay = 3
    assert viewer.layers["gt"].visible
    viewer.dims.ndisplay = 2
    assert viewer.layers["gt"].visible


def test_a_review_computed_in_3d_hides_the_volume_layers_when_its_surface_arrives(make_napari_viewer):
    viewer = make_napari_viewer()
    view = ThreeDView(viewer)
    view.connect()
    viewer.dims.ndisplay = 3
    _reviewed(viewer)
    assert [layer.name for layer in viewer.layers if layer.visible] == [find_layer(viewer, "surface").name]
    viewer.dims.ndisplay = 2
    assert viewer.layers["gt"].visible and viewer.layers["t1"].visible and not viewer.layers["pred"].visible


@pytest.mark.parametrize(
    ("labels", "view", "up"),
    [
        (("inferior", "posterior", "left"), (1, 0, 0), (0, -1, 0)),
        (("superior", "anterior", "right"), (-1, 0, 0), (0, 1, 0)),
        (("posterior", "superior", "left"), (0, -1, 0), (-1, 0, 0)),
        (("0", "1", "2"), (1, 0, 0), (0, -1, 0)),
    ],
)
def test_the_view_from_above_follows_the_anatomical_axis_names(labels, view, up):
    assert view_from_above(labels) == (view, up)


def test_the_overlay_layer_shows_each_code_in_its_colour(make_napari_viewer):
    viewer = make_napari_viewer()
    _reviewed(viewer)
    layer = find_layer(viewer, "errors")
    codes = np.arange(5, dtype=np.uint8)
    expected = transform_color([OVERLAY_COLORS[int(code)] for code in codes])
    np.testing.assert_allclose(layer.colormap.map(codes), expected, atol=1 / 255)
    # drawn as a 2D slice too (napari's texture mapping of the layer's own data)
    np.testing.assert_allclose(layer.colormap.map(layer.data[0, :2, :2]), np.broadcast_to(expected[1], (2, 2, 4)),
                               atol=1 / 255)  # fmt: skip


def test_a_new_review_layer_keeps_the_users_selection_and_is_drawn_only_once_revealed(make_napari_viewer):
    viewer = make_napari_viewer()
    reference = viewer.add_labels(np.ones((4, 5, 6), np.uint8), name="gt")
    viewer.layers.selection.active = reference
    overlay = show_overlay(viewer, reference, np.ones((4, 5, 6), np.uint8))
    heatmap = show_heatmap(viewer, reference, "distance", np.zeros((4, 5, 6), np.float32), 2.0, False)
    assert viewer.layers.selection.active is reference and set(viewer.layers.selection) == {reference}
    assert not overlay.visible and not heatmap.visible
    reveal(viewer, "errors")
    reveal(viewer, "distance", keep_hidden=True)  # in 3D: left to the 3D view, shown again in 2D
    assert overlay.visible and not heatmap.visible
    # updated in place by the next review: visible as it was, nothing to reveal
    show_overlay(viewer, reference, np.zeros((4, 5, 6), np.uint8))
    reveal(viewer, "errors")
    assert overlay.visible and len(viewer.layers) == 3


def test_a_review_layer_made_while_in_3d_is_shown_on_the_way_back_to_2d(make_napari_viewer):
    viewer = make_napari_viewer()
    reference = _reviewed(viewer)
    three_d = ThreeDView(viewer)
    three_d.connect()
    viewer.dims.ndisplay = 3
    viewer.layers.remove(find_layer(viewer, "distance"))
    show_heatmap(viewer, reference, "distance", np.zeros((6, 10, 12), np.float32), 3.0, False)  # made in 3D
    reveal(viewer, "distance", keep_hidden=three_d.active)
    assert not find_layer(viewer, "distance").visible
    viewer.dims.ndisplay = 2
    assert find_layer(viewer, "distance").visible
    three_d.disconnect()
