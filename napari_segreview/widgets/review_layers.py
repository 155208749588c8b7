"""The layers the review adds to the viewer: TP/FP/FN overlay, distance heatmaps, 3D surface heatmap.

Each carries the geometry (scale, translate, affine, units, axis labels, file geometry) of the layer it was
derived from, and a role in its metadata so that a recomputation updates it in place instead of stacking
copies. The default view: the TP/FP/FN overlay above the contour-distance heatmap (the errors are what one looks
at; the heatmap says how far off a border is), and in 3D only the surface heatmap (:class:`ThreeDView`). Their
colour scale is drawn by the dock (:mod:`.colour_bar`), not as a canvas overlay.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
from napari.layers import Image, Labels
from napari.utils.colormaps import Colormap, CyclicLabelColormap

from ..plugin.layers import GEOMETRY_KEY
from ..review.overlay import OVERLAY_COLORS
from ..review.session import underlying

ROLE_KEY = "segreview_role"
HIDDEN_UNTIL_REVEALED = "segreview_hidden_until_revealed"
ROLES = {
    "errors": "review: TP / FP / FN",
    "distance": "review: contour distance",
    "surface": "review: 3D surface distance to GT",
}
# review layers from bottom to top: the errors drawn over the distances
STACKING = ("distance", "errors")


def overlay_colormap() -> CyclicLabelColormap:
    """OVERLAY_COLORS for the overlay's values 0-4 as a cyclic label colormap (value v takes colour v). The same
    colours as napari's direct colormap from the dict, without its cost: napari maps a direct colormap through
    a numba typed dict that it compiles on first use, seconds with the GIL held (the window frozen), and whose
    compiled objects set off a full garbage collection."""
    codes = sorted(code for code in OVERLAY_COLORS if code)
    return CyclicLabelColormap(
        colors=[OVERLAY_COLORS[0], *(OVERLAY_COLORS[code] for code in codes)], background_value=0
    )


# 2D borders: a distance of 0 (borders that match, most of them) is a faint white line, not a dark outline;
# larger distances turn to an opaque red, so the eye goes to the borders that are off
DISTANCE_COLORMAP = Colormap(
    colors=[[1, 1, 1, 0.15], [1, 0.72, 0.62, 0.75], [0.93, 0.16, 0.12, 1], [0.55, 0, 0.05, 1]],
    controls=[0, 0.3, 0.75, 1],
    name="segreview distance",
)
# signed distances: blue where the prediction is too small, red where too large, 0 faint
SIGNED_DISTANCE_COLORMAP = Colormap(
    colors=[[0.1, 0.3, 0.95, 1], [0.55, 0.7, 1, 0.75], [1, 1, 1, 0.15], [1, 0.62, 0.55, 0.75], [0.93, 0.1, 0.1, 1]],
    controls=[0, 0.35, 0.5, 0.65, 1],
    name="segreview signed distance",
)
# the 3D surface is opaque: 0 a light grey (a shaded surface that matches), then the same reds
SURFACE_COLORMAP = Colormap(
    colors=[[0.88, 0.88, 0.86, 1], [1, 0.7, 0.6, 1], [0.93, 0.16, 0.12, 1], [0.55, 0, 0.05, 1]],
    controls=[0, 0.3, 0.75, 1],
    name="segreview surface distance",
)
SIGNED_SURFACE_COLORMAP = Colormap(
    colors=[[0.1, 0.3, 0.95, 1], [0.88, 0.88, 0.86, 1], [0.93, 0.1, 0.1, 1]],
    controls=[0, 0.5, 1],
    name="segreview signed surface distance",
)


def geometry_of(layer) -> dict:
    """Keyword arguments that give a new layer the same place in the world as ``layer``."""
    geometry = {"scale": tuple(layer.scale), "translate": tuple(layer.translate), "affine": layer.affine.affine_matrix}
    geometry["units"] = tuple(layer.units)
    geometry["axis_labels"] = tuple(layer.axis_labels)
    return geometry


def unit_of(layer) -> str:
    """The short name of the reference's distance unit (mm, px, ...)."""
    unit = str(layer.units[0]) if len(layer.units) else "pixel"
    return {"millimeter": "mm", "pixel": "px", "micrometer": "µm"}.get(unit, unit)


def layer_name(role: str, reference) -> str:
    """The name of a review layer; a distance layer's names its unit (its colour bar's label)."""
    return ROLES[role] if role == "errors" else f"{ROLES[role]} ({unit_of(reference)})"


def _place_like(layer, reference, role: str) -> None:
    """Move an existing review layer onto the reference's grid (a new pair may have another geometry)."""
    geometry = geometry_of(reference)
    layer.scale, layer.translate = geometry["scale"], geometry["translate"]
    layer.affine = geometry["affine"]
    hidden = layer.metadata.get(HIDDEN_UNTIL_REVEALED)  # made by a review whose showing was cut short
    layer.metadata = {**_metadata(reference, role), **({HIDDEN_UNTIL_REVEALED: True} if hidden else {})}
    layer.name = layer_name(role, reference)


def find_layer(viewer, role: str):
    for layer in viewer.layers:
        if layer.metadata.get(ROLE_KEY) == role:
            return layer
    return None


def _metadata(reference, role: str) -> dict:
    metadata = {ROLE_KEY: role}
    if GEOMETRY_KEY in reference.metadata:
        metadata[GEOMETRY_KEY] = reference.metadata[GEOMETRY_KEY]
    return metadata


def _reusable(viewer, role: str, reference, ndim: int, above=()):
    """The existing layer of ``role`` placed on the reference's grid, or None (also when its dimensionality
    differs: a layer cannot change it, so it is removed and made anew). When it lies below one of the ``above``
    layers (the reviewed pair, e.g. a dataset case opened after the last review), it moves to the top, where a
    new one would have been added: else the pair hides the errors."""
    layer = find_layer(viewer, role)
    if layer is None:
        return None
    if layer.ndim != ndim:
        viewer.layers.remove(layer)
        return None
    _place_like(layer, reference, role)
    _keep_above(viewer, layer, above)
    return layer


def _keep_above(viewer, layer, reviewed) -> None:
    layers = underlying(viewer).layers  # napari's wrapped look-ups return new objects: index the real ones
    positions = {id(item): index for index, item in enumerate(layers)}
    position = positions[id(underlying(layer))]
    if any(positions.get(id(underlying(other)), -1) > position for other in reviewed):
        layers.move(position, len(layers))


def stack_review_layers(viewer) -> None:
    """Keep the review layers in STACKING order (the overlay above the heatmap), wherever they were added."""
    layers = [find_layer(viewer, role) for role in STACKING]
    present = [layer for layer in layers if layer is not None]
    for lower, upper in zip(present, present[1:], strict=False):
        below, above = viewer.layers.index(lower), viewer.layers.index(upper)
        if below > above:
            viewer.layers.move(below, above)  # the lower one takes the upper's place, the upper moves up one


@contextmanager
def _selection_kept(viewer):
    """Insert layers without selecting them. napari makes an inserted layer the active one, which swaps the
    layer controls panel to the new layer's (50-90 ms in Mesa's software renderer) and back when the dock gives
    the user's selection back; the flag is napari's own (private, so it is left alone where it is missing)."""
    layers = underlying(viewer).layers
    before = getattr(layers, "_activate_on_insert", None)
    if before is None:
        yield
        return
    layers._activate_on_insert = False
    try:
        yield
    finally:
        layers._activate_on_insert = before


def reveal(viewer, role: str, keep_hidden: bool = False) -> None:
    """Show the ``role`` layer that :func:`show_overlay` / :func:`show_heatmap` added hidden: its first draw
    (texture upload, shader build) then runs in a turn of its own, apart from napari making the layer.
    ``keep_hidden``: the 3D view shows only the surface, and :class:`ThreeDView` shows the layer back in 2D."""
    layer = find_layer(viewer, role)
    if layer is None or not layer.metadata.get(HIDDEN_UNTIL_REVEALED):
        return
    del layer.metadata[HIDDEN_UNTIL_REVEALED]
    if not keep_hidden:
        layer.visible = True


def _add_hidden(viewer, add, data, role: str, reference, **options):
    """A new review layer, added unselected and hidden (:func:`reveal` shows it a turn later)."""
    metadata = {**_metadata(reference, role), HIDDEN_UNTIL_REVEALED: True}
    with _selection_kept(viewer):
        return add(data, visible=False, metadata=metadata, **options, **geometry_of(reference))


def show_overlay(viewer, reference, overlay: np.ndarray, above=()):
    """Add or update the TP/FP/FN overlay, kept above the ``above`` layers (the reviewed pair)."""
    layer = _reusable(viewer, "errors", reference, overlay.ndim, above)
    if layer is not None:
        layer.data = overlay
    else:
        layer = _add_hidden(
            viewer, viewer.add_labels, overlay, "errors", reference,
            name=ROLES["errors"], colormap=overlay_colormap(), opacity=0.7,
        )  # fmt: skip
    stack_review_layers(viewer)
    return layer


def _limits(limit: float, signed: bool) -> tuple[float, float]:
    return (-limit, limit) if signed else (0.0, limit)


def show_heatmap(viewer, reference, role: str, image: np.ndarray, limit: float, signed: bool, above=()):
    """Add or update the contour-distance layer, coloured from 0 to ``limit`` (physical units; the dock passes
    the user's limit when they set one, else :func:`default_limit`), below the TP/FP/FN overlay and above the
    ``above`` layers."""
    colormap = heatmap_colormap(role, signed)
    layer = _reusable(viewer, role, reference, image.ndim, above)
    if layer is None:
        layer = _add_hidden(
            viewer, viewer.add_image, image, role, reference,
            name=layer_name(role, reference), colormap=colormap, contrast_limits=_limits(limit, signed),
            blending="translucent", interpolation2d="nearest",
        )  # fmt: skip
    else:
        layer.data = image
        layer.colormap = colormap
        layer.contrast_limits = _limits(limit, signed)
    stack_review_layers(viewer)
    return layer


def heatmap_colormap(role: str, signed: bool) -> Colormap:
    """The colormap of the ``role`` ("distance" or "surface") heatmap, plain or signed (the dock's colour bar
    shows the same one)."""
    if role == "surface":
        return SIGNED_SURFACE_COLORMAP if signed else SURFACE_COLORMAP
    return SIGNED_DISTANCE_COLORMAP if signed else DISTANCE_COLORMAP


def show_surface(viewer, reference, mesh, limit: float, signed: bool):
    """Add or update the surface layer; ``mesh`` None removes it (no 3D prediction surface)."""
    if mesh is None:
        layer = find_layer(viewer, "surface")
        if layer is not None:
            viewer.layers.remove(layer)
        return None
    layer = _reusable(viewer, "surface", reference, 3)
    colormap = heatmap_colormap("surface", signed)
    data = (mesh.vertices, mesh.faces, mesh.values)
    if layer is not None:
        layer.data = data
        layer.colormap = colormap
        layer.contrast_limits = _limits(limit, signed)
        return layer
    geometry = geometry_of(reference)
    layer = viewer.add_surface(
        data,
        name=layer_name("surface", reference),
        colormap=colormap,
        contrast_limits=_limits(limit, signed),
        # a surface is read in the 3D view; slicing it in 2D costs time and shows only outlines
        visible=viewer.dims.ndisplay == 3,
        metadata=_metadata(reference, "surface"),
        scale=geometry["scale"],
        translate=geometry["translate"],
        affine=geometry["affine"],
        units=geometry["units"],
        axis_labels=geometry["axis_labels"],
    )
    return layer


def set_limits(viewer, limit: float, signed: bool) -> None:
    """Apply a user clamp to every distance layer."""
    for role in ("distance", "surface"):
        layer = find_layer(viewer, role)
        if layer is not None:
            layer.contrast_limits = _limits(limit, signed)


# ---- the 3D view ---------------------------------------------------------------------------------------------

# looking down onto the head: along the axis that runs from superior to inferior
TOWARDS_INFERIOR = {"inferior": 1.0, "superior": -1.0}
TOWARDS_POSTERIOR = {"posterior": 1.0, "anterior": -1.0}


def view_from_above(labels) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """(view direction, up direction) in the three displayed world axes, given their axis labels (napari's
    order; the reader names each axis after the direction it increases towards). From above: looking from
    the top of the head towards the feet, the front of the head up. Axes without anatomical names: looking
    along the first axis, as the 2D view does (the second axis down the screen)."""
    labels = [str(label).lower() for label in labels]
    view, up = [0.0, 0.0, 0.0], [0.0, -1.0, 0.0]
    vertical = next((axis for axis, label in enumerate(labels) if label in TOWARDS_INFERIOR), None)
    if vertical is None:
        view[0] = 1.0
        return tuple(view), tuple(up)
    view[vertical] = TOWARDS_INFERIOR[labels[vertical]]
    front = next((axis for axis, label in enumerate(labels) if label in TOWARDS_POSTERIOR), None)
    if front is not None and front != vertical:
        up = [0.0, 0.0, 0.0]
        up[front] = -TOWARDS_POSTERIOR[labels[front]]  # anterior up
    elif vertical == 1:
        up = [-1.0, 0.0, 0.0]
    return tuple(view), tuple(up)


class ThreeDView:
    """In 3D with a review surface present, only the surface (and non-volume layers such as points) is drawn,
    seen from above; back in 2D every layer it hid is visible again and the surface hidden, as before.

    Connect :meth:`on_ndisplay` to ``viewer.dims.events.ndisplay`` and :meth:`on_layers_inserted` to
    ``viewer.layers.events.inserted`` (a review computed while in 3D), or call :meth:`connect` /
    :meth:`disconnect`.
    """

    def __init__(self, viewer):
        self.viewer = viewer
        self.hidden: list = []  # the volume layers hidden on entering 3D (they were visible), unwrapped
        self.active = False
        self.oriented = False  # the camera is set from above once; after that the user's angle is kept

    def connect(self) -> None:
        self.viewer.dims.events.ndisplay.connect(self.on_ndisplay)
        self.viewer.layers.events.inserted.connect(self.on_layers_inserted)

    def disconnect(self) -> None:
        self.viewer.dims.events.ndisplay.disconnect(self.on_ndisplay)
        self.viewer.layers.events.inserted.disconnect(self.on_layers_inserted)

    def on_ndisplay(self, event=None) -> None:
        if self.viewer.dims.ndisplay == 3:
            self.enter()
        else:
            self.leave()

    def on_layers_inserted(self, event=None) -> None:
        layer = getattr(event, "value", None)
        if self.viewer.dims.ndisplay != 3:
            return
        if not self.active:
            self.enter()  # the first surface arrived while in 3D
        elif isinstance(layer, (Image, Labels)) and layer.metadata.get(ROLE_KEY):
            if layer.visible or layer.metadata.get(HIDDEN_UNTIL_REVEALED):
                layer.visible = False  # a review layer re-made while in 3D: hidden like the others
                self.hidden.append(underlying(layer))

    def enter(self) -> None:
        """Hide the visible image and labels layers, show the surface, look from above. Nothing happens
        without a review surface (a 3D view of the user's own layers is left alone) or when already done."""
        surface = find_layer(self.viewer, "surface")
        if self.active or surface is None:
            return
        self.active = True
        self.hidden = [
            underlying(layer) for layer in self.viewer.layers if isinstance(layer, (Image, Labels)) and layer.visible
        ]
        for layer in self.hidden:
            layer.visible = False
        surface.visible = True
        if not self.oriented:
            self.oriented = True
            displayed = [self.viewer.dims.axis_labels[axis] for axis in self.viewer.dims.displayed]
            view, up = view_from_above(displayed)
            self.viewer.reset_view()
            camera = self.viewer.scene.camera if hasattr(self.viewer, "scene") else self.viewer.camera  # napari < 0.9
            camera.set_view_direction(view, up)

    def leave(self) -> None:
        """Show again what :meth:`enter` hid (the layers still in the viewer) and hide the surface."""
        if not self.active:
            return
        self.active = False
        present = {id(underlying(layer)) for layer in self.viewer.layers}
        for layer in self.hidden:
            if id(layer) in present:
                layer.visible = True
        self.hidden = []
        surface = find_layer(self.viewer, "surface")
        if surface is not None:
            surface.visible = False
