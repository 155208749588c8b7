"""Synthetic white-matter lesions in the MNI152 T1 template, with a ground truth and a flawed prediction.

Built at load from the shipped MNI files (nothing extra ships): deterministic, from a fixed seed, in well under a
second. Lesions are dark in the T1 (as chronic MS lesions, "black holes", are) and lie inside the white matter.
The prediction finds every lesion except the smallest (detected lesions a little smaller or larger and off centre,
as a model's boundaries are), and adds false positives: small blobs in the white matter where there is no lesion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

SEED = 14
# equivalent radii (voxels, 1 mm) of the true lesions: the three smallest ones (under 1.6 voxels, up to ~15 voxels)
# are the ones the prediction misses
LESION_RADII = (1.0, 1.3, 1.5, 2.0, 2.5, 3.0, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0)
MISSED_BELOW_RADIUS = 1.6
FALSE_POSITIVE_RADII = (1.5, 2.0, 2.0, 2.5)
# lesion voxels keep this fraction of the T1 intensity (edges blended over ~1 voxel)
LESION_CONTRAST = 0.55
WHITE_MATTER = 2
# keeps lesion centres this far (voxels) inside the white matter, so a lesion is not cut by its border
MARGIN = 3


@dataclass(frozen=True)
class LesionSample:
    image: np.ndarray  # uint8 T1 with the lesions darkened
    ground_truth: np.ndarray  # uint8, 1 = lesion
    prediction: np.ndarray  # uint8, 1 = lesion
    radii: tuple[float, ...]  # of the true lesions, in placement order
    centres: tuple[tuple[int, int, int], ...]  # of the true lesions (array index)


def _ball(shape: tuple[int, ...], centre: np.ndarray, radii: np.ndarray) -> tuple[tuple[slice, ...], np.ndarray]:
    """Box and boolean ellipsoid of semi-axes ``radii`` around ``centre`` (index units, may be fractional),
    clipped to ``shape``."""
    reach = np.ceil(radii).astype(int) + 1
    lo = np.maximum(np.floor(centre).astype(int) - reach, 0)
    hi = np.minimum(np.ceil(centre).astype(int) + reach + 1, shape)
    box = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True))
    grids = np.ogrid[box]
    inside = sum(((g - c) / r) ** 2 for g, c, r in zip(grids, centre, radii, strict=True)) <= 1.0
    return box, inside


def _place(
    rng: np.random.Generator, candidates: np.ndarray, taken: np.ndarray, radius: float, keep_apart: float
) -> np.ndarray:
    """A candidate centre whose distance to every placed blob (rows of centre and radius in ``taken``), less that
    blob's radius, is at least ``keep_apart + radius`` voxels."""
    for _ in range(1000):
        centre = candidates[rng.integers(len(candidates))]
        if len(taken) == 0:
            return centre
        gaps = np.linalg.norm(taken[:, :3] - centre, axis=1) - taken[:, 3]
        if gaps.min() >= keep_apart + radius:
            return centre
    raise RuntimeError("could not place a lesion in the white matter")


def _semi_axes(rng: np.random.Generator, radius: float) -> np.ndarray:
    # a slightly elongated ellipsoid of the given equivalent radius (same volume as the ball of that radius)
    ratios = rng.uniform(0.75, 1.3, size=3)
    ratios /= np.cbrt(np.prod(ratios))
    return np.maximum(radius * ratios, 0.6)


def make_lesion_sample(t1: np.ndarray, tissue: np.ndarray, seed: int = SEED) -> LesionSample:
    """Lesions of ``LESION_RADII`` at random white-matter positions of ``tissue`` (label 2), drawn from ``seed``.

    t1: the MNI T1 (uint8, display order); tissue: its grey (1) / white (2) matter labels on the same grid.
    """
    rng = np.random.default_rng(seed)
    white = tissue == WHITE_MATTER
    inner = ndimage.binary_erosion(white, iterations=MARGIN)
    candidates = np.argwhere(inner)
    ground_truth = np.zeros(t1.shape, np.uint8)
    prediction = np.zeros(t1.shape, np.uint8)
    taken = np.zeros((0, 4))
    centres = []
    for radius in LESION_RADII:
        centre = _place(rng, candidates, taken, radius, keep_apart=8.0)
        taken = np.vstack([taken, [*centre, radius]])
        centres.append(tuple(int(c) for c in centre))
        axes = _semi_axes(rng, radius)
        box, inside = _ball(t1.shape, centre, axes)
        ground_truth[box][inside & white[box]] = 1
        if radius >= MISSED_BELOW_RADIUS:
            # a model's boundary: the lesion up to 15 % smaller or 20 % larger, its centre off by up to half a voxel
            scale, offset = rng.uniform(0.85, 1.2), rng.uniform(-0.5, 0.5, size=3)
            box, inside = _ball(t1.shape, centre + offset, axes * scale)
            prediction[box][inside & white[box]] = 1
    for radius in FALSE_POSITIVE_RADII:
        centre = _place(rng, candidates, taken, radius, keep_apart=10.0)
        taken = np.vstack([taken, [*centre, radius]])
        box, inside = _ball(t1.shape, centre, _semi_axes(rng, radius))
        prediction[box][inside & white[box]] = 1
    # dark lesions with edges blended over about a voxel, like a partial-volume boundary
    darkening = ndimage.gaussian_filter(ground_truth.astype(np.float32), sigma=0.6)
    image = np.clip(np.rint(t1 * (1.0 - (1.0 - LESION_CONTRAST) * darkening)), 0, 255).astype(np.uint8)
    return LesionSample(image, ground_truth, prediction, LESION_RADII, tuple(centres))
