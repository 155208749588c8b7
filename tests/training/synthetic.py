"""Tiny synthetic training sets: bright discs on a noisy background (2D PNG folders, NIfTI volume pairs)."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
from skimage.io import imsave

TINY_TRAINING = {"width": 4, "depth": 2, "epochs": 2, "batch_size": 4, "lr": 1e-2, "seed": 0}


def disc_image(shape: tuple[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 image, 0/1 mask): a disc of random centre and radius, brighter than the background."""
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    centre = rng.uniform(0.3, 0.7, 2) * shape
    radius = rng.uniform(0.15, 0.3) * min(shape)
    mask = ((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 < radius**2).astype(np.uint8)
    image = 60 + 120 * mask + rng.normal(0, 15, shape)
    return np.clip(image, 0, 255).astype(np.uint8), mask


def png_folder(root: Path, count: int = 6, shape: tuple[int, int] = (24, 20), seed: int = 0) -> Path:
    """``root/images/case_N.png`` + ``root/masks/case_N_segmentation.png`` (masks 0/255, ISIC style)."""
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for index in range(count):
        image, mask = disc_image(shape, rng)
        imsave(root / "images" / f"case_{index}.png", image, check_contrast=False)
        imsave(root / "masks" / f"case_{index}_segmentation.png", mask * 255, check_contrast=False)
    return root


def nifti_pair(root: Path, shape: tuple[int, int, int] = (16, 20, 24), seed: int = 0) -> tuple[Path, Path]:
    """``root/brain.nii.gz`` + ``root/brain_seg.nii.gz``: a ball (label 2) inside a bigger ball (label 1)."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    grid = np.indices(shape).astype(float)
    distance = np.sqrt(sum((g - (n - 1) / 2) ** 2 for g, n in zip(grid, shape, strict=True)))
    labels = np.where(distance < 4, 2, np.where(distance < 7, 1, 0)).astype(np.uint8)
    image = (np.choose(labels, [20.0, 80.0, 140.0]) + rng.normal(0, 8, shape)).astype(np.float32)
    image_path, label_path = root / "brain.nii.gz", root / "brain_seg.nii.gz"
    nib.save(nib.Nifti1Image(image, np.eye(4)), image_path)
    nib.save(nib.Nifti1Image(labels, np.eye(4)), label_path)
    return image_path, label_path
