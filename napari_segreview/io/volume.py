"""A loaded image or segmentation in display order, and the file geometry needed to write it back exactly."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from nibabel import orientations

from .orientation import DISPLAY_AXIS_NAMES, DISPLAY_ORNT


@dataclass(frozen=True, eq=False)
class NiftiGeometry:
    """Where a display-ordered array came from on disk.

    affine:        the file's voxel-to-RAS+ affine, exactly as stored (kept even when the display is de-obliqued)
    file_shape:    the array shape on disk (2D files keep their 2D shape)
    file_ornt:     nibabel orientation of the file's voxel axes (``nibabel.io_orientation(affine)``)
    squeezed_axis: display axis dropped because it held a single voxel (2D images), else None
    header:        a copy of the source file's NIfTI header (sform and qform with their codes, units,
                   description, intent), written back with only the data type changed; None for arrays that
                   came from no file
    """

    affine: np.ndarray
    file_shape: tuple[int, ...]
    file_ornt: np.ndarray
    squeezed_axis: int | None = None
    header: object | None = None

    @property
    def display_shape(self) -> tuple[int, ...]:
        """Shape of the display-ordered array this geometry belongs to."""
        shape3 = tuple(self.file_shape) + (1,) * (3 - len(self.file_shape))
        display = [0, 0, 0]
        for file_axis, (display_axis, _flip) in enumerate(self.file_ornt_to_display()):
            display[int(display_axis)] = shape3[file_axis]
        if self.squeezed_axis is not None:
            del display[self.squeezed_axis]
        return tuple(display)

    @property
    def display_axis_names(self) -> tuple[str, ...]:
        """Anatomical direction each display axis grows towards, e.g. ("inferior", "posterior", "left")."""
        names = list(DISPLAY_AXIS_NAMES)
        if self.squeezed_axis is not None:
            del names[self.squeezed_axis]
        return tuple(names)

    def file_ornt_to_display(self) -> np.ndarray:
        """nibabel transform taking file axes to display axes: row i is (display axis, flip) of file axis i."""
        return orientations.ornt_transform(self.file_ornt, DISPLAY_ORNT)


@dataclass(frozen=True, eq=False)
class Volume:
    """An array ready for napari: display-ordered data, its scale and translate (mm), and its origin.

    ``geometry`` is None for files that carry none (``.npy``): they are shown with unit scale at the origin.
    ``one_class_value`` is the value a one-class mask stored its foreground as (255 or 65535), now label 1; None
    when the labels are as stored (see ``label_rule``).
    """

    data: np.ndarray
    name: str
    scale: tuple[float, ...]
    translate: tuple[float, ...]
    is_labels: bool
    geometry: NiftiGeometry | None = None
    oblique: bool = False
    one_class_value: int | None = None

    def stored_values(self) -> np.ndarray:
        """The data with the values the file stored: a one-class mask's label 1 back to its 255 or 65535. For a
        file used as a model's input image, where 0/255 must stay intensities 0 and 255."""
        if self.one_class_value is None:
            return self.data
        return self.data.astype(np.min_scalar_type(self.one_class_value)) * self.one_class_value
