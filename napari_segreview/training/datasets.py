"""Training data: normalised 2D slices with their label maps, from a folder of images or from NIfTI volumes.

Layouts (:func:`load_training_data` picks one from the path):

- ``DATA/images/`` + ``DATA/masks/`` of PNG/JPEG/TIFF/BMP files (the ISIC layout): an image pairs with the mask of
  the same stem, or of its stem + ``_segmentation``, ``_mask`` or ``_seg`` (``ISIC_0000000.jpg`` with
  ``ISIC_0000000_segmentation.png``). Masks of only 0 and 255 become 0/1; other masks keep their label values
  (JPEG masks are refused: their compression turns 0/255 into many values). Each image is one case of one slice.
- ``DATA/images/`` + ``DATA/masks/`` of NIfTI files, paired the same way, or a folder of NIfTI files where
  ``NAME.nii.gz`` pairs with ``NAME_seg.nii.gz``: each volume is one case, cut into slices along ``axis``
  (display order, as ``io.read_nifti`` and the inference engine see it: 0 = axial).

Unreadable, unpaired or mismatched files stop loading with a TrainingDataError naming the file: a training set
silently missing a case is worse than a run that does not start.

Intensities are normalised as inference will normalise them (``ModelConfig.normalisation`` statistics over the
whole image or volume, ``model/normalisation.py``), so the network trains on what it will be fed.

With ``input_size`` every slice is resized as it is read (images bilinearly after clipping, exactly as the
inference engine resizes for a fixed-size model; labels by nearest neighbour), so a folder of large photographs
is held at the training size, not at its own: ISIC-sized images at 256 x 256 take ~0.8 MB each.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..io import ImageReadError, read_nifti
from ..io.image_files import PICTURE_SUFFIXES, read_picture
from ..io.masks import read_image_mask
from ..io.nifti import is_nifti_path, stem
from ..model.normalisation import intensity_transform
from .errors import TrainingDataError

MASK_STEM_SUFFIXES = ("", "_segmentation", "_mask", "_seg")
NIFTI_LABEL_SUFFIX = "_seg"


@dataclass(frozen=True, eq=False)
class Case:
    """One image or volume: ``images`` (slices, channels, rows, cols) intensities as read (kept in their own
    dtype: 8-bit images take a quarter of the memory of float32); ``labels`` (slices, rows, cols) uint8 label
    values (0 = background); ``offset``, ``scale`` (one per channel) and ``clip``: the normalisation of this
    image, applied by :meth:`normalised` as the inference engine applies it."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    offset: np.ndarray = field(default_factory=lambda: np.zeros(1, np.float32))
    scale: np.ndarray = field(default_factory=lambda: np.ones(1, np.float32))
    clip: tuple[float, float] | None = None

    def normalised(self, index: int | slice | np.ndarray) -> np.ndarray:
        """float32 normalised ``images[index]`` (one slice or several); non-finite values become 0."""
        data = self.images[index].astype(np.float32)
        if self.clip is not None:
            data = np.clip(data, *self.clip)
        data = (data - self.offset.reshape(-1, 1, 1)) * self.scale.reshape(-1, 1, 1)
        return np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0)


@dataclass(frozen=True, eq=False)
class TrainingData:
    """Cases of one channel count and one label set, and what a model trained on them must record.

    label_count: labels including background (2 = binary: the model gets one sigmoid output channel)
    slice_axis:  display axis the volumes were cut along (0 for 2D images)
    input_size:  the fixed slice size the model will take (recorded in its config), or None for any size
    """

    cases: list[Case]
    in_channels: int
    label_count: int
    normalisation: dict[str, Any] = field(default_factory=lambda: {"kind": "zscore"})
    slice_axis: int = 0
    source: str = "2d"  # "2d" or "nifti"
    input_size: tuple[int, int] | None = None  # (rows, cols) every slice was resized to, else None

    @property
    def network_classes(self) -> int:
        """Output channels of the network: 1 (sigmoid) for a binary label set, else one per label."""
        return 1 if self.label_count == 2 else self.label_count

    @property
    def slice_count(self) -> int:
        return sum(len(case.labels) for case in self.cases)


def _stem(path: Path) -> str:
    return stem(path) if is_nifti_path(path) else path.stem


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def pair_by_stem(images: Sequence[Path], masks: Sequence[Path]) -> list[tuple[Path, Path]]:
    """(image, mask) pairs: the mask's stem is the image's, optionally + _segmentation, _mask or _seg."""
    by_stem = {_stem(mask): mask for mask in masks}
    pairs = []
    for image in images:
        found = [by_stem[_stem(image) + s] for s in MASK_STEM_SUFFIXES if _stem(image) + s in by_stem]
        if not found:
            raise TrainingDataError(
                f"{image.name} has no mask in the masks folder (expected {_stem(image)}.png or "
                f"{_stem(image)}_segmentation.png, or the same with its own suffix)."
            )
        pairs.append((image, found[0]))
    return pairs


def _read_2d_image(path: Path) -> np.ndarray:
    """(rows, cols, channels) array of a PNG/JPEG/TIFF image: grey -> 1 channel, RGB(A) -> 3."""
    try:
        data = read_picture(path)
    except ImageReadError as error:
        raise TrainingDataError(str(error)) from None
    return data[..., None] if data.ndim == 2 else data[..., :3]


def _mask_labels(data: np.ndarray, path: Path) -> np.ndarray:
    values = np.unique(data)
    if set(values.tolist()) <= {0, 255}:
        return (data == 255).astype(np.uint8)
    if not np.issubdtype(data.dtype, np.integer) or values.min() < 0 or values.max() > 255:
        raise TrainingDataError(f"{path.name} holds values other than whole numbers 0 to 255; it is not a mask.")
    return data.astype(np.uint8)


def _case(
    name: str,
    images: np.ndarray,
    labels: np.ndarray,
    normalisation: Mapping[str, Any],
    channel_last: bool,
    input_size: tuple[int, int] | None = None,
) -> Case:
    """A case whose normalisation has the statistics the inference engine takes (same image, same kind, before
    any resizing). ``images`` is (slices, channels, rows, cols); ``channel_last`` says how the statistics see
    the image; ``input_size`` resizes every slice (see the module docstring)."""
    source = np.moveaxis(images[0], 0, -1) if channel_last else images
    transform = intensity_transform(source, normalisation, channel_last=channel_last)
    if input_size is not None:
        images, labels = resized_slices(images, labels, input_size, transform.clip)
    return Case(name, images, labels, transform.offset, transform.scale, transform.clip)


def resized_slices(
    images: np.ndarray, labels: np.ndarray, size: tuple[int, int], clip: tuple[float, float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Slices at ``size``: images (clipped first, as inference clips before it resizes) by the inference
    engine's bilinear resize, as float32; labels by nearest neighbour (pixel centres), as uint8."""
    import torch
    import torch.nn.functional as F

    pixels = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
    if clip is not None:
        pixels = pixels.clamp(*clip)
    if tuple(pixels.shape[-2:]) != tuple(size):
        pixels = F.interpolate(pixels, size=tuple(size), mode="bilinear", align_corners=False)
    masks = torch.from_numpy(np.ascontiguousarray(labels, dtype=np.uint8))[:, None].float()
    masks = F.interpolate(masks, size=tuple(size), mode="nearest-exact")[:, 0]
    return pixels.numpy(), masks.to(torch.uint8).numpy()


def load_folder_2d(
    pairs: Sequence[tuple[Path, Path]],
    normalisation: Mapping[str, Any] | None = None,
    input_size: tuple[int, int] | None = None,
) -> TrainingData:
    """2D images and masks; every image becomes a one-slice case (resized to ``input_size`` when given)."""
    normalisation = dict(normalisation or {"kind": "zscore"})
    cases, channels = [], None
    for image_path, mask_path in pairs:
        image = _read_2d_image(image_path)
        try:
            mask = _mask_labels(read_image_mask(mask_path), mask_path)
        except ImageReadError as exc:
            raise TrainingDataError(str(exc)) from None
        if image.shape[:2] != mask.shape:
            raise TrainingDataError(
                f"{image_path.name} is {image.shape[0]}x{image.shape[1]} but its mask {mask_path.name} is "
                f"{mask.shape[0]}x{mask.shape[1]}."
            )
        if channels is not None and image.shape[-1] != channels:
            kind = "RGB" if image.shape[-1] == 3 else "grey"
            raise TrainingDataError(f"{image_path.name} is {kind} while the images before it are not.")
        channels = image.shape[-1]
        images = np.ascontiguousarray(np.moveaxis(image, -1, 0)[None])
        cases.append(_case(_stem(image_path), images, mask[None], normalisation, True, input_size))
    return _training_data(cases, channels or 1, normalisation, 0, "2d", input_size)


def load_nifti_pairs(
    pairs: Sequence[tuple[Path, Path]],
    axis: int = 0,
    normalisation: Mapping[str, Any] | None = None,
    input_size: tuple[int, int] | None = None,
) -> TrainingData:
    """NIfTI image + label volumes, each cut into slices along display ``axis`` (0 axial, 1 coronal, 2 sagittal),
    resized to ``input_size`` when given."""
    normalisation = dict(normalisation or {"kind": "zscore"})
    cases = []
    for image_path, label_path in pairs:
        try:
            image, labels = read_nifti(image_path), read_nifti(label_path)
        except ImageReadError as exc:
            raise TrainingDataError(str(exc)) from None
        if image.data.ndim != 3 or image.data.shape != labels.data.shape:
            raise TrainingDataError(
                f"{image_path.name} has shape {image.data.shape} but {label_path.name} has {labels.data.shape}; "
                "a 3D image and a label volume of the same grid are needed."
            )
        label_data = labels.data
        if not np.issubdtype(label_data.dtype, np.integer) or label_data.min() < 0 or label_data.max() > 255:
            raise TrainingDataError(f"{label_path.name} does not hold whole-number labels 0 to 255.")
        images = np.ascontiguousarray(np.moveaxis(image.data, axis, 0)[:, None])
        slices = np.ascontiguousarray(np.moveaxis(label_data.astype(np.uint8), axis, 0))
        cases.append(_case(stem(image_path), images, slices, normalisation, False, input_size))
    return _training_data(cases, 1, normalisation, axis, "nifti", input_size)


def _training_data(
    cases: list[Case],
    channels: int,
    normalisation: dict[str, Any],
    axis: int,
    source: str,
    input_size: tuple[int, int] | None,
) -> TrainingData:
    if not cases:
        raise TrainingDataError("the training data holds no image.")
    highest = max(int(case.labels.max()) for case in cases)
    size = None if input_size is None else (int(input_size[0]), int(input_size[1]))
    return TrainingData(cases, channels, max(2, highest + 1), normalisation, axis, source, size)


def _nifti_folder_pairs(folder: Path) -> list[tuple[Path, Path]]:
    files = [p for p in _files(folder) if is_nifti_path(p)]
    labels = {stem(p): p for p in files if stem(p).endswith(NIFTI_LABEL_SUFFIX)}
    images = [p for p in files if stem(p) not in labels]
    pairs = []
    for image in images:
        label = labels.get(stem(image) + NIFTI_LABEL_SUFFIX)
        if label is None:
            raise TrainingDataError(f"{image.name} has no label volume {stem(image)}{NIFTI_LABEL_SUFFIX}.nii.gz.")
        pairs.append((image, label))
    return pairs


def load_training_data(
    data: str | os.PathLike,
    *,
    labels: str | os.PathLike | None = None,
    axis: int = 0,
    normalisation: Mapping[str, Any] | None = None,
    input_size: tuple[int, int] | None = None,
) -> TrainingData:
    """Training data from ``data``: a folder with ``images/`` and ``masks/``, a folder of NIfTI ``NAME`` +
    ``NAME_seg`` pairs, or one NIfTI image with its label volume ``labels``; every slice resized to
    ``input_size`` (rows, cols) when given. Raises TrainingDataError."""
    if input_size is not None and (len(input_size) != 2 or min(input_size) < 1):
        raise TrainingDataError(f"the input size must be two positive whole numbers, not {tuple(input_size)}.")
    data = Path(data)
    if not data.exists():
        raise TrainingDataError(f"{data} does not exist.")
    if labels is not None:
        if not (data.is_file() and is_nifti_path(data) and is_nifti_path(labels)):
            raise TrainingDataError("--labels pairs one NIfTI image file with one NIfTI label file.")
        return load_nifti_pairs([(data, Path(labels))], axis, normalisation, input_size)
    if data.is_file():
        raise TrainingDataError(f"{data.name} is a file; give its label volume too, or a folder of training data.")
    if (data / "images").is_dir() and (data / "masks").is_dir():
        images = [p for p in _files(data / "images") if is_nifti_path(p) or p.suffix.lower() in PICTURE_SUFFIXES]
        masks = [p for p in _files(data / "masks") if is_nifti_path(p) or p.suffix.lower() in PICTURE_SUFFIXES]
        if not images:
            raise TrainingDataError(f"{data / 'images'} holds no image (PNG, JPEG, TIFF, BMP or NIfTI).")
        pairs = pair_by_stem(images, masks)
        if all(is_nifti_path(image) for image, _ in pairs):
            return load_nifti_pairs(pairs, axis, normalisation, input_size)
        if any(is_nifti_path(image) for image, _ in pairs):
            raise TrainingDataError(f"{data / 'images'} mixes NIfTI volumes with 2D images; use one kind.")
        return load_folder_2d(pairs, normalisation, input_size)
    pairs = _nifti_folder_pairs(data)
    if not pairs:
        raise TrainingDataError(
            f"{data} holds neither images/ and masks/ folders nor NIfTI pairs NAME.nii.gz + NAME_seg.nii.gz."
        )
    return load_nifti_pairs(pairs, axis, normalisation, input_size)
