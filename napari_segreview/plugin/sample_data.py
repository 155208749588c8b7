"""npe2 sample data: the MNI152 2009 T1 template with its grey/white matter ground truth (1 mm) and the bundled
demo model's prediction.

The files ship inside the package (see ``data/mni152/NOTICE.txt`` for their licence); nothing is downloaded.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from ..io import Volume, read_nifti
from .layers import CLASS_NAMES_KEY, LayerDataTuple, volume_to_layer

TISSUE_CLASSES = {1: "grey matter", 2: "white matter"}
TISSUE_COLORS = {None: "transparent", 0: "transparent", 1: "#ff9d2e", 2: "#3fa7ff"}
# Axial slice of the 2D sample, in display order (superior to inferior): z = +22 mm, through the lateral
# ventricles, the slice `segreview demo` starts on.
AXIAL_SLICE_2D = 94


def sample_path(name: str) -> Path:
    """Path of a shipped sample file, e.g. ``sample_path("t1.nii.gz")``."""
    return Path(str(resources.files("napari_segreview") / "data" / "mni152" / name))


PREDICTION_NAME = "demo model prediction"


def _mni_volumes() -> tuple[Volume, Volume, Volume]:
    """T1, tissue ground truth, and the bundled demo model's prediction (``segreview predict t1.nii.gz --model
    demo --out demo_prediction.nii.gz`` regenerates it)."""
    return (
        read_nifti(sample_path("t1.nii.gz")),
        read_nifti(sample_path("tissue_seg.nii.gz")),
        read_nifti(sample_path("demo_prediction.nii.gz")),
    )


def _layers(image: Volume, tissue: Volume, prediction: Volume) -> list[LayerDataTuple]:
    return [
        volume_to_layer(image, name="MNI152 T1"),
        volume_to_layer(
            tissue,
            name="tissue ground truth",
            colormap=dict(TISSUE_COLORS),
            metadata={CLASS_NAMES_KEY: dict(TISSUE_CLASSES)},
        ),
        volume_to_layer(
            prediction,
            name=PREDICTION_NAME,
            colormap=dict(TISSUE_COLORS),
            visible=False,
            metadata={CLASS_NAMES_KEY: dict(TISSUE_CLASSES)},
        ),
    ]


def mni152_3d() -> list[LayerDataTuple]:
    """The 3D T1 volume, its tissue ground truth and the demo model's prediction (labels layers)."""
    return _layers(*_mni_volumes())


def _axial_slice(volume: Volume, index: int) -> Volume:
    """One display-axis-0 slice as a 2D volume with no file geometry (it is not a file of its own)."""
    return Volume(
        data=np.ascontiguousarray(volume.data[index]),
        name=volume.name,
        scale=volume.scale[1:],
        translate=volume.translate[1:],
        is_labels=volume.is_labels,
    )


def simulated_prediction(ground_truth: np.ndarray) -> np.ndarray:
    """A plausible imperfect segmentation made from a ground truth, for demos and benchmarks until a model's
    prediction ships: each class smoothed (thin structures lost or merged), everything shifted one voxel along
    the last axis, one slab of slices missed, and a small false-positive block."""
    from scipy import ndimage

    prediction = np.zeros_like(ground_truth)
    for label in np.unique(ground_truth[ground_truth > 0]):
        smooth = ndimage.gaussian_filter((ground_truth == label).astype(np.float32), sigma=1.2) > 0.45
        prediction[smooth & (prediction == 0)] = label
    prediction = np.roll(prediction, 1, axis=-1)
    if prediction.ndim == 3:
        depth = prediction.shape[0]
        prediction[int(0.63 * depth) : int(0.63 * depth) + 8] = 0
        prediction[30:36, 10:16, 90:96] = 1
    return prediction


def mni152_2d() -> list[LayerDataTuple]:
    """One axial slice of the T1, its tissue ground truth and the demo model's prediction, for 2D workflows."""
    return _layers(*(_axial_slice(v, AXIAL_SLICE_2D) for v in _mni_volumes()))
