"""npe2 sample data: the MNI152 2009 T1 template with its grey/white matter ground truth (1 mm) and the bundled
demo model's prediction; synthetic white-matter lesions in that template; fluorescence nuclei of the 2018 Data
Science Bowl with a watershed prediction.

The files ship inside the package (see ``data/mni152/NOTICE.txt`` and ``data/nuclei/NOTICE.txt`` for their
licences); nothing is downloaded.
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path

import numpy as np

from ..io import Volume, read_nifti
from .instance_maps import INSTANCE_MAP_KEY
from .layers import CLASS_NAMES_KEY, LayerDataTuple, volume_to_layer
from .lesion_sample import make_lesion_sample

TISSUE_CLASSES = {1: "grey matter", 2: "white matter"}
TISSUE_COLORS = {None: "transparent", 0: "transparent", 1: "#ff9d2e", 2: "#3fa7ff"}
# Axial slice of the 2D sample, in display order (superior to inferior): z = +22 mm, through the lateral
# ventricles, the slice `segreview demo` starts on.
AXIAL_SLICE_2D = 94


def sample_path(name: str, folder: str = "mni152") -> Path:
    """Path of a shipped sample file, e.g. ``sample_path("t1.nii.gz")``."""
    return Path(str(resources.files("napari_segreview") / "data" / folder / name))


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


# layer names the review's pair rules recognise (review/session.py: GT_NAME, PRED_NAME)
NUCLEI_NAMES = ("nuclei (DSB 2018)", "nuclei ground truth", "watershed prediction")
LESION_NAMES = ("MNI152 T1 with lesions", "lesion ground truth", "lesion prediction")
LESION_COLORS = {None: "transparent", 0: "transparent", 1: "#ff9d2e"}


def nuclei_2d() -> list[LayerDataTuple]:
    """The 512x512 fluorescence nuclei image, its 125-nucleus instance ground truth and the Otsu + watershed
    prediction made by ``scripts/make_nuclei_sample.py`` (both instance maps; see ``data/nuclei/NOTICE.txt``)."""
    with np.load(sample_path("nuclei.npz", "nuclei")) as arrays:
        image, ground_truth, prediction = (arrays[k] for k in ("image", "ground_truth", "prediction"))
    image_name, gt_name, pred_name = NUCLEI_NAMES
    instance_map = {INSTANCE_MAP_KEY: True}
    return [
        (image, {"name": image_name, "colormap": "gray", "contrast_limits": [0, int(image.max())]}, "image"),
        (ground_truth.astype(np.int32), {"name": gt_name, "opacity": 0.5, "metadata": dict(instance_map)}, "labels"),
        (
            prediction.astype(np.int32),
            {"name": pred_name, "opacity": 0.5, "visible": False, "metadata": dict(instance_map)},
            "labels",
        ),
    ]


def mni152_lesions_3d() -> list[LayerDataTuple]:
    """The MNI T1 with synthetic dark white-matter lesions, their ground truth and a prediction that misses the
    smallest and adds false positives (built at load from a fixed seed; see ``plugin/lesion_sample.py``)."""
    t1, tissue, _ = _mni_volumes()
    sample = make_lesion_sample(t1.data, tissue.data)
    image_name, gt_name, pred_name = LESION_NAMES
    lesion = {CLASS_NAMES_KEY: {1: "lesion"}, INSTANCE_MAP_KEY: False}
    return [
        # white matter mid-grey rather than white, so the dark lesions in it stand out
        volume_to_layer(_replace_data(t1, sample.image, image_name), contrast_limits=[0.0, 300.0]),
        volume_to_layer(
            _replace_data(tissue, sample.ground_truth, gt_name), colormap=dict(LESION_COLORS), metadata=dict(lesion)
        ),
        volume_to_layer(
            _replace_data(tissue, sample.prediction, pred_name),
            colormap=dict(LESION_COLORS),
            visible=False,
            metadata=dict(lesion),
        ),
    ]


def _replace_data(volume: Volume, data: np.ndarray, name: str) -> Volume:
    """``volume``'s geometry (scale, translate, file affine) with other data of the same shape."""
    return dataclasses.replace(volume, data=data, name=name, one_class_value=None)
