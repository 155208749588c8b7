"""Instance maps for the tests: random blobs, perturbed predictions, and stardist's real nuclei."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from scipy import ndimage


def random_instances(shape: tuple[int, ...], n: int, rng: np.random.Generator, radius: float = 5.0) -> np.ndarray:
    """``n`` seeds grown into touching Voronoi cells cut to ``radius`` voxels; ids 1..n (some may vanish),
    shuffled so that ids do not follow raster order."""
    seeds = np.zeros(shape, np.int32)
    seeds[tuple(rng.integers(0, s, n) for s in shape)] = rng.permutation(n) + 1
    distance, nearest = ndimage.distance_transform_edt(seeds == 0, return_indices=True)
    instances = seeds[tuple(nearest)]
    instances[distance > radius * rng.uniform(0.5, 1.5, size=n + 1)[instances]] = 0
    return instances


def perturbed(instances: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A prediction-like copy: shifted by a voxel, a tenth of the objects dropped, a few pairs merged, a few
    spurious blobs, ids renumbered at random (large and sparse)."""
    pred = np.roll(instances, shift=tuple(rng.integers(-1, 2, instances.ndim)), axis=tuple(range(instances.ndim)))
    ids = np.unique(pred[pred != 0])
    pred[np.isin(pred, rng.choice(ids, len(ids) // 10, replace=False))] = 0
    for a, b in rng.choice(ids, (len(ids) // 15, 2), replace=False):
        pred[pred == b] = a
    spurious = random_instances(instances.shape, 5, rng, radius=3.0)
    pred[(pred == 0) & (spurious != 0)] = spurious[(pred == 0) & (spurious != 0)] + 10_000
    values = np.unique(pred)
    table = np.zeros(values.max() + 1, np.int32)
    table[values[1:]] = rng.choice(np.arange(1, 50 * len(values)), len(values) - 1, replace=False)
    return table[pred]


def stardist_images() -> Path:
    """stardist's bundled images (located without importing stardist, which pulls in TensorFlow)."""
    spec = importlib.util.find_spec("stardist")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("stardist is a test dependency (pip install -e .[test]); it is not installed.")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "images"


def nuclei() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(image, ground truth, prediction) of stardist's 2D nuclei (DSB 2018). The prediction is a plain
    pipeline: Gaussian blur (sigma 1), Otsu threshold, face-connected components of 20 pixels or more, so
    touching nuclei merge and faint ones are lost."""
    import tifffile
    from skimage.filters import gaussian, threshold_otsu

    from napari_segreview.instances import instances_from_semantic

    folder = stardist_images()
    image = tifffile.imread(folder / "img2d.tif")
    gt = tifffile.imread(folder / "mask2d.tif").astype(np.int32)
    smooth = gaussian(image.astype(float), sigma=1.0)
    pred = instances_from_semantic(smooth > threshold_otsu(smooth), connectivity=1, min_size=20)
    return image, gt, pred
