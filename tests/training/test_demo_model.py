"""The bundled demo model: small, loads without running code, and segments the MNI sample's tissues."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from napari_segreview.io import read_nifti
from napari_segreview.metrics import volume_metrics
from napari_segreview.model import load_model, predict
from napari_segreview.plugin.sample_data import TISSUE_CLASSES, sample_path

DEMO = Path(str(resources.files("napari_segreview") / "data" / "demo_model" / "unet_mni_tissue.pt"))
pytestmark = pytest.mark.skipif(not DEMO.is_file(), reason="the demo model is not trained yet")


def test_the_demo_model_is_small_and_describes_itself():
    assert DEMO.stat().st_size <= 10 * 1024 * 1024
    config = load_model(DEMO).config
    assert (config.in_channels, config.classes, config.slice_axis) == (1, 3, 0)
    assert config.class_names == TISSUE_CLASSES and config.normalisation == {"kind": "zscore"}


def test_the_demo_model_segments_grey_and_white_matter_of_central_slices():
    image = read_nifti(sample_path("t1.nii.gz")).data
    truth = read_nifti(sample_path("tissue_seg.nii.gz")).data
    model = load_model(DEMO)
    # a few central slices, normalised with the whole volume's statistics as a whole-volume run would be
    whole = {"kind": "fixed", "mean": float(image.mean()), "std": float(image.std())}
    model = load_model(DEMO, config=replace(model.config, normalisation=whole))
    labels = predict(model, image[92:96], axis=0, device="cpu").labels
    rows = volume_metrics(truth[92:96], labels, labels=[1, 2])
    assert rows[1]["dice"] > 0.85 and rows[2]["dice"] > 0.85
    assert np.isin(labels, [0, 1, 2]).all()
