"""Two-epoch runs on tiny synthetic data, CPU, seconds: the loss falls, the checkpoint predicts, resume continues."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from napari_segreview.io import read_nifti
from napari_segreview.model import load_model, predict
from napari_segreview.training import (
    EpochResult,
    TrainingError,
    TrainingOptions,
    load_training_data,
    resume_path,
    run_training,
    train,
)
from napari_segreview.training.datasets import Case
from napari_segreview.training.loop import split_cases

from .synthetic import TINY_TRAINING, nifti_pair, png_folder


def options(**changes) -> TrainingOptions:
    return TrainingOptions(**{**TINY_TRAINING, "device": "cpu", **changes})


def test_two_epochs_on_a_png_folder_lower_the_loss_and_the_checkpoint_predicts(tmp_path):
    data = load_training_data(png_folder(tmp_path / "data"))
    assert (data.in_channels, data.label_count, data.network_classes, len(data.cases)) == (1, 2, 1, 6)
    result = run_training(data, tmp_path / "model.pt", options())
    assert [epoch.epoch for epoch in result.history] == [1, 2]
    assert result.history[1].train_loss < result.history[0].train_loss
    assert all(0 <= epoch.val_dice <= 1 and 0 <= epoch.val_iou <= 1 for epoch in result.history)

    model = load_model(result.checkpoint)
    assert model.config.classes == 1 and model.config.width == 4 and model.config.depth == 2
    image = np.random.default_rng(1).integers(0, 255, (24, 20)).astype(np.uint8)
    labels = predict(model, image).labels
    assert labels.shape == (24, 20) and set(np.unique(labels).tolist()) <= {0, 1}


def test_two_epochs_on_a_nifti_pair_lower_the_loss_and_the_checkpoint_predicts(tmp_path):
    image_path, label_path = nifti_pair(tmp_path / "data")
    data = load_training_data(image_path, labels=label_path, axis=1)
    assert (data.label_count, data.network_classes, data.slice_axis, len(data.cases)) == (3, 3, 1, 1)
    result = run_training(data, tmp_path / "model.pt", options(class_names={1: "outer", 2: "inner"}))
    assert result.history[1].train_loss < result.history[0].train_loss
    assert set(result.history[-1].label_dice) == {1, 2}

    model = load_model(result.checkpoint)
    assert model.config.slice_axis == 1 and model.config.class_names == {1: "outer", 2: "inner"}
    volume = read_nifti(image_path).data
    labels = predict(model, volume, axis=model.config.slice_axis).labels
    assert labels.shape == volume.shape and labels.max() <= 2


def test_the_same_seed_repeats_a_cpu_run(tmp_path):
    data = load_training_data(png_folder(tmp_path / "data"))
    first = run_training(data, tmp_path / "a.pt", options())
    second = run_training(data, tmp_path / "b.pt", options())
    assert [e.train_loss for e in first.history] == [e.train_loss for e in second.history]
    weights_a = torch.load(tmp_path / "a.pt", weights_only=True)["state_dict"]
    weights_b = torch.load(tmp_path / "b.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(weights_a[key], weights_b[key]) for key in weights_a)


def test_resume_continues_from_the_saved_epoch_as_if_never_stopped(tmp_path):
    data = load_training_data(png_folder(tmp_path / "data"))
    uninterrupted = run_training(data, tmp_path / "whole.pt", options(epochs=3))

    steps = train(data, tmp_path / "model.pt", options(epochs=3))
    for step in steps:
        if isinstance(step, EpochResult) and step.epoch == 2:
            steps.close()  # stopped after epoch 2, as a GUI's cancel would
    state = torch.load(resume_path(tmp_path / "model.pt"), weights_only=True)
    assert state["epoch"] == 2

    resumed = run_training(data, tmp_path / "model.pt", options(epochs=3, resume=True))
    assert [epoch.epoch for epoch in resumed.history] == [3]
    assert resumed.history[0].train_loss == pytest.approx(uninterrupted.history[2].train_loss, rel=1e-5)


def test_resume_needs_its_file_and_the_same_model(tmp_path):
    data = load_training_data(png_folder(tmp_path / "data"))
    with pytest.raises(TrainingError, match=r"no resume file model\.resume\.pt"):
        run_training(data, tmp_path / "model.pt", options(resume=True))
    run_training(data, tmp_path / "model.pt", options(epochs=1))
    with pytest.raises(TrainingError, match="another model"):
        run_training(data, tmp_path / "model.pt", options(width=8, resume=True))
    with pytest.raises(TrainingError, match="resume with the same split"):
        run_training(data, tmp_path / "model.pt", options(epochs=2, seed=1, resume=True))
    with pytest.raises(TrainingError, match="already reached epoch 1"):
        run_training(data, tmp_path / "model.pt", options(epochs=1, resume=True))


def test_several_cases_are_split_by_case_and_one_volume_by_blocks_of_slices():
    cases = [Case(f"c{i}", np.zeros((1, 1, 4, 4), np.float32), np.zeros((1, 4, 4), np.uint8)) for i in range(5)]
    split = split_cases(cases, 0.2, seed=0)
    assert len(split.val_cases) == 1 and len(split.train_cases) == 4
    assert {c.name for c in split.val_cases}.isdisjoint(c.name for c in split.train_cases)

    index = np.arange(40, dtype=np.uint8)
    volume = Case("v", np.zeros((40, 1, 4, 4), np.float32), np.broadcast_to(index[:, None, None], (40, 4, 4)))
    split = split_cases([volume], 0.2, seed=0)
    held = np.unique(split.val_cases[0].labels)
    assert len(held) == 8 and held[-1] - held[0] == 7  # one block of 8 neighbouring slices
    assert len(split.samples) == 32
    assert split_cases([volume], 0.2, seed=0).val_cases[0].labels.tolist() == split.val_cases[0].labels.tolist()


def test_without_validation_the_last_epoch_is_saved(tmp_path):
    data = load_training_data(png_folder(tmp_path / "data", count=2))
    result = run_training(data, tmp_path / "model.pt", options(val_fraction=0))
    assert result.best_epoch == 2 and result.best_dice is None
    assert all(epoch.saved and epoch.val_dice is None for epoch in result.history)


def test_training_stops_early_when_validation_dice_stops_improving(tmp_path, monkeypatch):
    from napari_segreview.training import loop

    scores = iter([0.5, 0.6, 0.6, 0.55, 0.9])
    monkeypatch.setattr(loop, "validate", lambda *args: (next(scores), 0.3, {1: 0.5}))
    data = load_training_data(png_folder(tmp_path / "data", count=3))
    result = run_training(data, tmp_path / "model.pt", options(epochs=5, patience=2))
    assert result.stopped_early and result.last_epoch == 4
    assert result.best_epoch == 2 and result.best_dice == 0.6
    assert [epoch.saved for epoch in result.history] == [True, True, False, False]


def test_rgb_jpeg_images_with_png_masks_train_a_three_channel_model(tmp_path):
    from skimage.io import imsave

    from .synthetic import disc_image

    rng = np.random.default_rng(0)
    (tmp_path / "data" / "images").mkdir(parents=True)
    (tmp_path / "data" / "masks").mkdir()
    for index in range(4):
        grey, mask = disc_image((16, 16), rng)
        rgb = np.stack([grey, grey // 2, 255 - grey], axis=-1)
        imsave(tmp_path / "data" / "images" / f"ISIC_{index}.jpg", rgb, check_contrast=False)
        imsave(tmp_path / "data" / "masks" / f"ISIC_{index}_segmentation.png", mask * 255, check_contrast=False)
    data = load_training_data(tmp_path / "data")
    result = run_training(data, tmp_path / "model.pt", options())
    model = load_model(result.checkpoint)
    assert model.config.in_channels == 3 and model.config.classes == 1
    labels = predict(model, rng.integers(0, 255, (16, 16, 3)).astype(np.uint8), rgb=True).labels
    assert labels.shape == (16, 16)
