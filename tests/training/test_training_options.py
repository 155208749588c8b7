"""Each U-Net option trains: a few epochs on tiny synthetic discs lower the loss, the checkpoint keeps the switch,
and the trained model predicts through the inference engine as any other."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from napari_segreview import cli
from napari_segreview.model import build_unet, load_model, predict
from napari_segreview.training import TrainingError, TrainingOptions, load_training_data, resume_path, run_training

from .synthetic import TINY_TRAINING, png_folder

SWITCHES = {
    "cbam": {"attention": "cbam"},
    "deep supervision": {"deep_supervision": True, "depth": 3},
    "elastic": {"elastic": 0.8},
    "all": {"attention": "cbam", "deep_supervision": True, "elastic": 0.5},
}


def options(**changes) -> TrainingOptions:
    return TrainingOptions(**{**TINY_TRAINING, "device": "cpu", "epochs": 3, **changes})


@pytest.mark.parametrize("switches", SWITCHES.values(), ids=SWITCHES.keys())
def test_each_option_trains_with_a_falling_loss_and_its_checkpoint_predicts(tmp_path, switches):
    data = load_training_data(png_folder(tmp_path / "data"))
    result = run_training(data, tmp_path / "model.pt", options(**switches))
    losses = [epoch.train_loss for epoch in result.history]
    assert losses[-1] < losses[0], losses
    model = load_model(result.checkpoint)
    assert model.config.attention == switches.get("attention", "none")
    assert model.config.deep_supervision == switches.get("deep_supervision", False)
    image = np.random.default_rng(1).integers(0, 255, (24, 20)).astype(np.uint8)
    labels = predict(model, image).labels
    assert labels.shape == (24, 20) and set(np.unique(labels).tolist()) <= {0, 1}


def test_deep_supervision_trains_its_heads_and_inference_ignores_them(tmp_path):
    data = load_training_data(png_folder(tmp_path / "data"))
    result = run_training(data, tmp_path / "model.pt", options(deep_supervision=True, depth=3, epochs=1))
    weights = torch.load(result.checkpoint, weights_only=True)["state_dict"]
    assert {key for key in weights if key.startswith("heads.")} == {
        f"heads.{i}.{p}" for i in (0, 1) for p in ("weight", "bias")
    }
    torch.manual_seed(TINY_TRAINING["seed"])  # training draws its initial weights right after this seed
    initial = build_unet(result.config).state_dict()
    assert all(not torch.equal(weights[key], initial[key]) for key in weights if key.startswith("heads."))
    module = load_model(result.checkpoint).runner.module.eval()
    batch = torch.randn(1, 1, 24, 24)
    with torch.inference_mode():
        full = module(batch)
        with torch.no_grad():
            for head in module.heads:
                head.weight.add_(1.0)  # changing a head changes nothing users see
        assert torch.equal(module(batch), full)


def test_the_options_are_part_of_the_resume_check(tmp_path):
    data = load_training_data(png_folder(tmp_path / "data"))
    run_training(data, tmp_path / "model.pt", options(epochs=1))
    assert resume_path(tmp_path / "model.pt").is_file()
    with pytest.raises(TrainingError, match="another model"):
        run_training(data, tmp_path / "model.pt", options(epochs=2, attention="cbam", resume=True))


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"attention": "se"}, "attention must be none or cbam, not 'se'."),
        ({"elastic": 1.5}, "elastic probability must be from 0 to 1, not 1.5."),
        ({"elastic": 0.5, "elastic_sigma": 0}, "elastic sigma must be positive, not 0."),
        ({"deep_supervision": True, "supervision_decay": 0}, "supervision decay must be above 0 and at most 1"),
    ],
)
def test_bad_option_values_raise_one_sentence(fields, message):
    with pytest.raises(TrainingError, match="^" + message.replace("(", r"\(")):
        TrainingOptions(**fields)


def test_the_cli_switches_reach_the_checkpoint(tmp_path, capsys):
    data = png_folder(tmp_path / "data")
    out = tmp_path / "model.pt"
    argv = ["train", str(data), "--out", str(out), "--epochs", "1", "--width", "4", "--depth", "3"]
    argv += ["--batch-size", "4", "--device", "cpu", "--attention", "cbam", "--deep-supervision"]
    argv += ["--elastic", "0.5", "--elastic-alpha", "20", "--elastic-sigma", "3"]
    assert cli.main(argv) == 0
    config = load_model(out).config
    assert (config.attention, config.deep_supervision) == ("cbam", True)


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--elastic", "2"], "elastic probability must be from 0 to 1, not 2.0."),
        (["--elastic", "0.5", "--elastic-alpha", "-3"], "elastic alpha must be 0 or more, not -3.0."),
    ],
)
def test_the_cli_refuses_bad_elastic_values_in_one_sentence(tmp_path, capsys, extra, expected):
    data = png_folder(tmp_path / "data", count=2)
    assert cli.main(["train", str(data), "--out", str(tmp_path / "m.pt"), *extra]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"segreview train: {expected}"]
    assert not (tmp_path / "m.pt").exists()
