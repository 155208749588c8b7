"""The display orientation rule: how a NIfTI voxel grid is laid out as a napari array.

napari shows array axis 0 as the slice slider (and, in 3D, pointing towards the viewer), axis 1 down the screen
and axis 2 to the right. Every volume is reoriented (flips and axis swaps only, never resampled) so that its
array axes point

    axis 0 -> Inferior, axis 1 -> Posterior, axis 2 -> Left        (nibabel axis codes "IPL")

which gives the radiological axial view: the viewer stands at the patient's feet, anterior is at the top of the
screen and the patient's right on the screen's left. "IPL" is a right-handed frame, like napari's default 3D
camera, so neither the 2D slices nor the 3D rendering are mirrored. Rolling the dims to a coronal or sagittal
view shows superior at the top.

World coordinates in napari are the file's RAS+ millimetres re-expressed along those axes
(world = RAS_TO_DISPLAY @ ras), so volumes with different voxel grids overlay correctly.
"""

from __future__ import annotations

import numpy as np
from nibabel import orientations

DISPLAY_AXCODES = ("I", "P", "L")
DISPLAY_ORNT = orientations.axcodes2ornt(DISPLAY_AXCODES)
# What a growing index along each display axis means, shown as napari axis labels.
DISPLAY_AXIS_NAMES = ("inferior", "posterior", "left")
# RAS+ (x=Right, y=Anterior, z=Superior) to the display frame (Inferior, Posterior, Left); its own inverse.
RAS_TO_DISPLAY = np.array([[0.0, 0.0, -1.0], [0.0, -1.0, 0.0], [-1.0, 0.0, 0.0]])
# Largest direction-cosine deviation from the display axes still treated as not oblique (1e-4 rad, ~0.006
# degree): qform quaternions stored as float32 leave rounding noise well below it.
OBLIQUE_TOLERANCE = 1e-4
# Smallest |cosine| of the angle between two voxel axes' directions still taken as two directions: below this
# sine (axes within 0.06 degree of each other, or one a multiple of the other) the grid is degenerate, not
# oblique or sheared. A gantry tilt of 30 degrees is a sine of 0.5.
DEGENERATE_SINE = 1e-3


def _affine_text(affine: np.ndarray) -> str:
    """The affine's top three rows on one line, e.g. ``[[1, 0, 0, -20], [0, 1, 0, -30], [0, 0, 1, -40]]``."""
    rows = (", ".join(f"{value:.6g}" for value in row) for row in np.asarray(affine, dtype=float)[:3])
    return "[" + ", ".join(f"[{row}]" for row in rows) + "]"


def affine_problem(affine: np.ndarray) -> str | None:
    """What keeps a voxel-to-world ``affine`` from placing voxels in space, as the end of a sentence about its
    file ("has an affine with NaN or infinite values ([[...]])"), or None when it is usable.

    Usable means finite, every voxel axis of non-zero length and no two voxel axes pointing the same (or the
    opposite) way; an oblique or sheared grid is usable.
    """
    affine = np.asarray(affine, dtype=float)
    shown = _affine_text(affine)
    if not np.all(np.isfinite(affine)):
        return f"has an affine with NaN or infinite values ({shown}), so its voxels have no place in space"
    linear = affine[:3, :3]
    lengths = np.linalg.norm(linear, axis=0)
    zero = np.flatnonzero(lengths <= lengths.max(initial=0.0) * 1e-12)
    if zero.size:
        return f"has a degenerate affine ({shown}): voxel axis {zero[0]} has zero length"
    directions = linear / lengths
    for first in range(linear.shape[1]):
        for second in range(first + 1, linear.shape[1]):
            cosine = abs(float(directions[:, first] @ directions[:, second]))
            if np.sqrt(max(0.0, 1.0 - cosine * cosine)) < DEGENERATE_SINE:
                return f"has a degenerate affine ({shown}): voxel axes {first} and {second} point the same way"
    if abs(np.linalg.det(directions)) < DEGENERATE_SINE:  # three axes in one plane
        return f"has a degenerate affine ({shown}): its three voxel axes lie in one plane"
    return None


def file_to_display(data: np.ndarray, file_ornt: np.ndarray) -> np.ndarray:
    """Reorder a 3D array from file voxel order to display order (a contiguous copy)."""
    transform = orientations.ornt_transform(file_ornt, DISPLAY_ORNT)
    return np.ascontiguousarray(orientations.apply_orientation(data, transform))


def display_to_file(data: np.ndarray, file_ornt: np.ndarray) -> np.ndarray:
    """Inverse of :func:`file_to_display`: reorder a 3D display array back to file voxel order."""
    transform = orientations.ornt_transform(DISPLAY_ORNT, file_ornt)
    return np.ascontiguousarray(orientations.apply_orientation(data, transform))


def display_affine(affine: np.ndarray, file_ornt: np.ndarray, file_shape: tuple[int, int, int]) -> np.ndarray:
    """Voxel-to-RAS affine of the display-ordered array."""
    transform = orientations.ornt_transform(file_ornt, DISPLAY_ORNT)
    return affine @ orientations.inv_ornt_aff(transform, file_shape)


def scale_translate(
    affine_of_display: np.ndarray, display_shape: tuple[int, int, int]
) -> tuple[np.ndarray, np.ndarray, bool]:
    """napari ``scale`` and ``translate`` of a display-ordered volume, and whether its affine is oblique.

    ``scale`` is the voxel size along each display axis (mm). For an oblique affine the rotation is dropped
    (the volume is shown de-obliqued) and ``translate`` keeps the volume centre at its true position.
    """
    linear = RAS_TO_DISPLAY @ affine_of_display[:3, :3]
    scale = np.linalg.norm(linear, axis=0)
    direction_cosines = linear / scale
    oblique = not np.allclose(direction_cosines, np.eye(3), rtol=0.0, atol=OBLIQUE_TOLERANCE)
    centre_index = (np.asarray(display_shape, dtype=float) - 1.0) / 2.0
    centre_world = RAS_TO_DISPLAY @ (affine_of_display[:3, :3] @ centre_index + affine_of_display[:3, 3])
    translate = centre_world - scale * centre_index
    return scale, translate, oblique


def affine_from_scale_translate(scale: np.ndarray, translate: np.ndarray) -> np.ndarray:
    """Voxel-to-RAS affine of a display-ordered array shown with ``scale`` and ``translate``.

    Used when a layer carries no file geometry: writing the array in display order with this affine and
    reading it back reproduces the same layer.
    """
    affine = np.eye(4)
    affine[:3, :3] = RAS_TO_DISPLAY.T @ np.diag(np.asarray(scale, dtype=float))
    affine[:3, 3] = RAS_TO_DISPLAY.T @ np.asarray(translate, dtype=float)
    return affine
