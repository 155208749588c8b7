"""The layers the review adds to the viewer: TP/FP/FN overlay, distance heatmaps, 3D surface heatmap.

Each carries the geometry (scale, translate, affine, units, axis labels, file geometry) of the layer it was
derived from, and a role in its metadata so that a recomputation updates it in place instead of stacking
copies.
"""

from __future__ import annotations

import numpy as np

from ..plugin.layers import GEOMETRY_KEY
from ..review.overlay import OVERLAY_COLORS

ROLE_KEY = "segreview_role"
ROLES = {
    "errors": "review: TP / FP / FN",
    "distance": "review: contour distance (each border to the other)",
    "surface": "review: 3D prediction surface → GT (distance)",
}


def geometry_of(layer) -> dict:
    """Keyword arguments that give a new layer the same place in the world as ``layer``."""
    geometry = {"scale": tuple(layer.scale), "translate": tuple(layer.translate), "affine": layer.affine.affine_matrix}
    geometry["units"] = tuple(layer.units)
    geometry["axis_labels"] = tuple(layer.axis_labels)
    return geometry


def _place_like(layer, reference, role: str) -> None:
    """Move an existing review layer onto the reference's grid (a new pair may have another geometry)."""
    geometry = geometry_of(reference)
    layer.scale, layer.translate = geometry["scale"], geometry["translate"]
    layer.affine = geometry["affine"]
    layer.metadata = _metadata(reference, role)


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


def _reusable(viewer, role: str, reference, ndim: int):
    """The existing layer of ``role`` placed on the reference's grid, or None (also when its dimensionality
    differs: a layer cannot change it, so it is removed and made anew)."""
    layer = find_layer(viewer, role)
    if layer is None:
        return None
    if layer.ndim != ndim:
        viewer.layers.remove(layer)
        return None
    _place_like(layer, reference, role)
    return layer


def show_overlay(viewer, reference, overlay: np.ndarray):
    layer = _reusable(viewer, "errors", reference, overlay.ndim)
    if layer is not None:
        layer.data = overlay
        return layer
    return viewer.add_labels(
        overlay,
        name=ROLES["errors"],
        colormap=dict(OVERLAY_COLORS),
        opacity=0.55,
        metadata=_metadata(reference, "errors"),
        **geometry_of(reference),
    )


def show_heatmap(viewer, reference, role: str, image: np.ndarray, limit: float, signed: bool):
    colormap = "bwr" if signed else "turbo"
    limits = (-limit, limit) if signed else (0.0, limit)
    layer = _reusable(viewer, role, reference, image.ndim)
    if layer is None:
        layer = viewer.add_image(
            image,
            name=ROLES[role],
            colormap=colormap,
            contrast_limits=limits,
            blending="translucent",
            interpolation2d="nearest",
            metadata=_metadata(reference, role),
            **geometry_of(reference),
        )
    else:
        layer.data = image
        layer.colormap = colormap
        layer.contrast_limits = limits
    return layer


def show_colorbar(viewer, role: str) -> None:
    """Show the colour bar of the ``role`` heatmap. A step of its own: napari builds the bar's visuals the first
    time (~60 ms), as long as adding the heatmap layer itself."""
    layer = find_layer(viewer, role)
    if layer is not None:
        layer.colorbar.visible = True


def show_surface(viewer, reference, mesh, limit: float, signed: bool):
    """Add or update the surface layer; ``mesh`` None removes it (no 3D prediction surface)."""
    if mesh is None:
        layer = find_layer(viewer, "surface")
        if layer is not None:
            viewer.layers.remove(layer)
        return None
    layer = _reusable(viewer, "surface", reference, 3)
    limits = (-limit, limit) if signed else (0.0, limit)
    colormap = "bwr" if signed else "turbo"
    data = (mesh.vertices, mesh.faces, mesh.values)
    if layer is not None:
        layer.data = data
        layer.colormap = colormap
        layer.contrast_limits = limits
        return layer
    geometry = geometry_of(reference)
    return viewer.add_surface(
        data,
        name=ROLES["surface"],
        colormap=colormap,
        contrast_limits=limits,
        # a surface is read in the 3D view; slicing it in 2D costs time and shows only outlines
        visible=viewer.dims.ndisplay == 3,
        metadata=_metadata(reference, "surface"),
        scale=geometry["scale"],
        translate=geometry["translate"],
        affine=geometry["affine"],
        units=geometry["units"],
        axis_labels=geometry["axis_labels"],
    )


def set_limits(viewer, limit: float, signed: bool) -> None:
    """Apply a user clamp to every distance layer."""
    limits = (-limit, limit) if signed else (0.0, limit)
    for role in ("distance", "surface"):
        layer = find_layer(viewer, role)
        if layer is not None:
            layer.contrast_limits = limits
