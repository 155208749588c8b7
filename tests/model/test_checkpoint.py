"""Model files: our checkpoint round trip, refusal of code-carrying pickles, mismatches named in one sentence,
TorchScript and ONNX."""

from __future__ import annotations

import json
import pathlib
import sys
import warnings

import numpy as np
import pytest
import torch

from napari_segreview.model import CheckpointError, ModelConfig, ModelInputError, load_model, predict, save_checkpoint
from napari_segreview.model.checkpoint import CHECKPOINT_FORMAT, ONNX_CONFIG_KEY, TORCHSCRIPT_CONFIG_FILE

from .models import TINY, random_unet, save_random_checkpoint, smooth_image


class TouchesAFile:
    """Unpickling this calls ``pathlib.Path.touch(marker)``: a stand-in for any code a pickle can run."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def _one_sentence(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text and text.endswith(".")
    return text


def test_checkpoint_round_trip_keeps_config_and_predictions(tmp_path):
    path, config = save_random_checkpoint(tmp_path / "unet.pt", class_names={1: "grey", 2: "white"})
    model = load_model(path)
    assert (model.name, model.source, model.config) == ("unet", "checkpoint", config)
    image = smooth_image((24, 20))
    expected = predict(load_model(path), image).labels
    np.testing.assert_array_equal(predict(model, image).labels, expected)


def test_the_same_weights_give_the_same_bytes_whatever_the_file_name(tmp_path):
    first, _ = save_random_checkpoint(tmp_path / "a.pt", seed=3)
    second, _ = save_random_checkpoint(tmp_path / "another_name.pt", seed=3)
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("nested", [False, True], ids=["whole file", "inside a valid-looking checkpoint"])
def test_checkpoint_whose_pickle_runs_code_is_refused_and_never_runs(tmp_path, nested):
    marker = tmp_path / "marker"
    payload = TouchesAFile(marker)
    if nested:
        config = ModelConfig(classes=3, **TINY)
        payload = {
            "format": CHECKPOINT_FORMAT,
            "format_version": 1,
            "config": {**config.to_dict(), "class_names": payload},
            "state_dict": random_unet(config).state_dict(),
        }
    path = tmp_path / "evil.pt"
    torch.save(payload, path)  # full pickle

    with pytest.raises(CheckpointError) as raised:
        load_model(path)
    # torch's pickler reaches Path.touch through getattr, the first callable the unpickler refuses
    assert _one_sentence(raised.value) == (
        "evil.pt was refused: loading it would run Python code (getattr); a checkpoint must hold only weights and "
        "plain values."
    )
    assert not marker.exists()

    # the file is a live exploit: a plain torch.load of a copy does run it (its marker is another file)
    live_marker = tmp_path / "live" / "marker"
    live_marker.parent.mkdir()
    torch.save(TouchesAFile(live_marker), tmp_path / "live" / "evil.pt")
    torch.load(tmp_path / "live" / "evil.pt", weights_only=False)
    assert live_marker.exists() and not marker.exists()


def _save_payload(path, config: ModelConfig, state_dict) -> pathlib.Path:
    torch.save(
        {"format": CHECKPOINT_FORMAT, "format_version": 1, "config": config.to_dict(), "state_dict": state_dict}, path
    )
    return path


@pytest.mark.parametrize(
    "weights_config, claimed_config, message",
    [
        ({"in_channels": 3}, {}, "m.pt's weights take 3 input channel(s) but its config says 1."),
        ({"classes": 2}, {"classes": 3}, "m.pt's weights give 2 output channel(s) but its config says 3."),
        (
            {"width": 8},
            {},
            "m.pt does not fit a bilinear U-Net of width 4 and depth 2 of its config: weight inc.0.weight has "
            "shape (8, 1, 3, 3) where (4, 1, 3, 3) is expected.",
        ),
        (
            {"depth": 3},
            {},
            "m.pt does not fit a bilinear U-Net of width 4 and depth 2 of its config: it has an unexpected weight "
            "downs.2.1.0.weight.",
        ),
        (
            {"bilinear": False},
            {},
            "m.pt does not fit a bilinear U-Net of width 4 and depth 2 of its config: it has an unexpected weight "
            "ups.0.up.weight.",
        ),
    ],
)
def test_weights_that_do_not_fit_their_config_name_the_mismatch(tmp_path, weights_config, claimed_config, message):
    base = {"classes": 3, **TINY}
    weights = random_unet(ModelConfig(**{**base, **weights_config})).state_dict()
    path = _save_payload(tmp_path / "m.pt", ModelConfig(**{**base, **claimed_config}), weights)
    with pytest.raises(CheckpointError) as raised:
        load_model(path)
    assert _one_sentence(raised.value) == message


def test_save_refuses_a_model_that_does_not_fit_the_config(tmp_path):
    with pytest.raises(CheckpointError, match="weights give 2 output channel"):
        save_checkpoint(tmp_path / "m.pt", random_unet(ModelConfig(classes=2, **TINY)), ModelConfig(classes=3, **TINY))
    assert not (tmp_path / "m.pt").exists()


def test_bare_state_dict_needs_a_config_beside_it(tmp_path):
    config = ModelConfig(classes=3, **TINY)
    net = random_unet(config)
    path = tmp_path / "trained.pth"
    torch.save({"model_state_dict": net.state_dict(), "epoch": 7}, path)  # a typical training script's file
    with pytest.raises(CheckpointError, match=r"^trained.pth is not a napari-segreview checkpoint .* trained.json"):
        load_model(path)
    (tmp_path / "trained.json").write_text(json.dumps(config.to_dict()))
    assert load_model(path).config == config
    assert load_model(path, config=config).config == config


@pytest.mark.parametrize(
    "content, message",
    [
        (b"not a checkpoint at all", "Cannot read broken.pt as a PyTorch checkpoint"),
        (None, "broken.pt does not exist."),
    ],
)
def test_unreadable_files_give_one_sentence(tmp_path, content, message):
    path = tmp_path / "broken.pt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CheckpointError) as raised:
        load_model(path)
    assert message in _one_sentence(raised.value)


def test_truncated_checkpoint_and_newer_format_version(tmp_path):
    path, config = save_random_checkpoint(tmp_path / "m.pt")
    data = path.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="^Cannot read cut.pt as a PyTorch checkpoint"):
        load_model(tmp_path / "cut.pt")
    torch.save({"format": CHECKPOINT_FORMAT, "format_version": 99, "config": config.to_dict(), "state_dict": {}},
               tmp_path / "new.pt")  # fmt: skip
    with pytest.raises(CheckpointError, match="format version 99; this napari-segreview reads up to 1"):
        load_model(tmp_path / "new.pt")


def _torchscript(path: pathlib.Path, net: torch.nn.Module, config: ModelConfig | None) -> pathlib.Path:
    extra = {TORCHSCRIPT_CONFIG_FILE: json.dumps(config.to_dict())} if config is not None else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates TorchScript; users still have such files
        traced = torch.jit.trace(net, torch.zeros(1, net.inc[0].in_channels, 16, 16))
        torch.jit.save(traced, str(path), _extra_files=extra)
    return path


def test_torchscript_with_embedded_config_predicts_like_the_checkpoint(tmp_path):
    checkpoint, config = save_random_checkpoint(tmp_path / "unet.pt")
    net = random_unet(config)
    scripted = load_model(_torchscript(tmp_path / "unet.ts", net, config))
    assert (scripted.source, scripted.config) == ("torchscript", config)
    image = smooth_image((3, 24, 20))
    np.testing.assert_array_equal(predict(scripted, image).labels, predict(load_model(checkpoint), image).labels)


def test_torchscript_named_pt_is_refused_because_it_runs_code(tmp_path):
    config = ModelConfig(classes=2, **TINY)
    path = _torchscript(tmp_path / "innocent.pt", random_unet(config), config)
    with pytest.raises(CheckpointError, match=r"innocent.pt is a TorchScript program, which runs code .* innocent.ts"):
        load_model(path)


def test_torchscript_without_config_names_the_sidecar_file(tmp_path):
    config = ModelConfig(classes=3, **TINY)
    path = _torchscript(tmp_path / "foreign.ts", random_unet(config), None)
    with pytest.raises(CheckpointError) as raised:
        load_model(path)
    assert _one_sentence(raised.value) == (
        "foreign.ts carries no segreview config; put one (ModelConfig.to_dict() as JSON) in foreign.json beside it."
    )
    (tmp_path / "foreign.json").write_text(json.dumps(config.to_dict()))
    assert load_model(path).config == config


def test_onnx_without_onnxruntime_is_one_clear_sentence(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if it were not installed
    path = tmp_path / "unet.onnx"
    path.write_bytes(b"\x08\x07")
    with pytest.raises(CheckpointError) as raised:
        load_model(path)
    assert _one_sentence(raised.value) == (
        "unet.onnx is an ONNX model and running it needs onnxruntime, which is not installed (pip install onnxruntime)."
    )


def test_onnx_model_predicts_like_the_checkpoint(tmp_path):
    pytest.importorskip("onnxruntime")
    onnx = pytest.importorskip("onnx")
    checkpoint, config = save_random_checkpoint(tmp_path / "unet.pt")
    path = tmp_path / "unet.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            random_unet(config), (torch.zeros(1, 1, 16, 16),), str(path), dynamo=False,
            input_names=["image"], output_names=["logits"],
            dynamic_axes={"image": {0: "batch", 2: "rows", 3: "cols"}, "logits": {0: "batch", 2: "rows", 3: "cols"}},
        )  # fmt: skip
    graph = onnx.load(str(path))
    graph.metadata_props.add(key=ONNX_CONFIG_KEY, value=json.dumps(config.to_dict()))
    onnx.save(graph, str(path))
    model = load_model(path)
    assert (model.source, model.config) == ("onnx", config)
    image = smooth_image((3, 24, 20))
    onnx_result = predict(model, image, batch_size=2, probabilities=True)
    torch_result = predict(load_model(checkpoint), image, probabilities=True)
    np.testing.assert_allclose(onnx_result.probabilities, torch_result.probabilities, atol=1e-5)
    assert (onnx_result.labels == torch_result.labels).mean() > 0.999
    assert onnx_result.device == "cpu (ONNX Runtime)" and onnx_result.precision == "as saved"
    with pytest.raises(ModelInputError, match=r"^an ONNX model runs in the precision it was saved in; use precision"):
        predict(model, image, precision="bfloat16")


def test_onnx_graph_of_one_fixed_size_resizes_slices_to_it(tmp_path):
    """An export without dynamic axes (as in the seed article) takes one slice of one size at a time."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    config = ModelConfig(classes=3, **TINY)
    path = tmp_path / "fixed.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(random_unet(config), (torch.zeros(1, 1, 32, 32),), str(path), dynamo=False)
    (tmp_path / "fixed.json").write_text(json.dumps(config.to_dict()))
    model = load_model(path)
    assert model.config.input_size == (32, 32)
    assert predict(model, smooth_image((3, 24, 20)), batch_size=3).labels.shape == (3, 24, 20)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_a_plain_pickle_is_named_as_one_and_never_unpickled(tmp_path, recwarn, protocol):
    """A file of pickle.dump (not torch.save) is refused as what it is, before torch reads it: no torch warning
    about its protocol, and no word of damage."""
    import pickle

    path = tmp_path / "weights.pt"
    path.write_bytes(pickle.dumps({"state_dict": {"w": [1.0, 2.0]}}, protocol=protocol))
    with pytest.raises(CheckpointError) as raised:
        load_model(path)
    assert _one_sentence(raised.value) == (
        "weights.pt is a plain Python pickle, not a napari-segreview checkpoint; it is not loaded, because "
        "unpickling a file can run code (save models with save_checkpoint() or torch.save)."
    )
    assert not [w for w in recwarn if "torch" in (w.filename or "") or "pickle" in str(w.message)]
