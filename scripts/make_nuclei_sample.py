"""Regenerate the nuclei sample shipped in napari_segreview/data/nuclei from the copy that stardist carries.

    pip install stardist scikit-image && python scripts/make_nuclei_sample.py

Source: ``stardist/data/images/img2d.tif`` and ``mask2d.tif`` (stardist 0.9.2): a 512x512 fluorescence image of
nuclei from the 2018 Data Science Bowl (stage 1 training set, CC0) with its 125-nucleus instance mask.

Written to ``nuclei.npz`` (numpy.savez_compressed):
- ``image``: the intensities unchanged, stored as uint8 (the source's uint16 values are 0..235, so nothing is lost);
- ``ground_truth``: the instance mask with its ids renumbered 1..125 in order of the original ids
  (skimage.segmentation.relabel_sequential; the objects themselves are unchanged);
- ``prediction``: a classical pipeline's instance map, made by :func:`watershed_nuclei` below. It is a real
  baseline, not a doctored answer: it misses the dimmest nuclei (below the global Otsu threshold), merges touching
  nuclei whose distance-transform peaks lie closer than ``MIN_PEAK_DISTANCE`` and splits a few elongated ones.

The file is compared with a fresh run by tests/plugin/test_samples_nuclei.py (same scikit-image version); nothing is
computed when the sample is loaded. The stardist package is located, not imported (importing it loads TensorFlow).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import tifffile
from scipy import ndimage
from skimage import feature, filters, segmentation

TARGET = Path(__file__).resolve().parents[1] / "napari_segreview" / "data" / "nuclei" / "nuclei.npz"
# Gaussian smoothing before the threshold, in pixels: suppresses the camera noise without joining nuclei
SMOOTHING_SIGMA = 2.0
# foreground components smaller than this (pixels) are dropped as debris; the smallest true nucleus has 25
MIN_AREA = 30
# minimum distance (pixels) between two watershed seeds: nuclei are ~24 px across, so touching pairs whose
# centres are closer than this share one seed and are merged
MIN_PEAK_DISTANCE = 7


def stardist_images() -> Path:
    """The folder of stardist's bundled test images, found without importing stardist."""
    spec = importlib.util.find_spec("stardist")
    if spec is None or spec.origin is None:
        raise SystemExit("stardist is not installed: pip install stardist (it only provides the source images)")
    return Path(spec.origin).parent / "data" / "images"


def watershed_nuclei(image: np.ndarray) -> np.ndarray:
    """Instance map (int32, 0 background) of a nuclei fluorescence image: Gaussian smoothing, global Otsu
    threshold, holes filled, components below ``MIN_AREA`` pixels dropped, then a watershed of the negative
    distance transform from its local maxima at least ``MIN_PEAK_DISTANCE`` apart within each component."""
    smooth = filters.gaussian(image.astype(np.float64), sigma=SMOOTHING_SIGMA, preserve_range=True)
    foreground = ndimage.binary_fill_holes(smooth > filters.threshold_otsu(smooth))
    components, _ = ndimage.label(foreground)
    areas = np.bincount(components.ravel())
    foreground &= (areas >= MIN_AREA)[components] & (components > 0)
    components, _ = ndimage.label(foreground)
    distance = ndimage.distance_transform_edt(foreground)
    peaks = feature.peak_local_max(distance, min_distance=MIN_PEAK_DISTANCE, labels=components, exclude_border=False)
    markers = np.zeros(image.shape, np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    prediction = segmentation.watershed(-distance, markers, mask=foreground)
    return segmentation.relabel_sequential(prediction.astype(np.int32))[0]


def nuclei_arrays() -> dict[str, np.ndarray]:
    """The three arrays of the sample, from stardist's files."""
    folder = stardist_images()
    source_image = tifffile.imread(folder / "img2d.tif")
    source_mask = tifffile.imread(folder / "mask2d.tif")
    if source_image.max() > 255:
        raise SystemExit("img2d.tif has values above 255; the uint8 copy would lose them")
    image = source_image.astype(np.uint8)
    ground_truth = segmentation.relabel_sequential(source_mask.astype(np.int32))[0].astype(np.uint8)
    return {"image": image, "ground_truth": ground_truth, "prediction": watershed_nuclei(image).astype(np.uint16)}


def main() -> None:
    arrays = nuclei_arrays()
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(TARGET, **arrays)
    print(
        f"wrote {TARGET} ({TARGET.stat().st_size // 1024} KiB): {arrays['ground_truth'].max()} true nuclei, "
        f"{arrays['prediction'].max()} predicted"
    )


if __name__ == "__main__":
    main()
