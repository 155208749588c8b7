"""segreview train and export-onnx on the command line: exit 0 with files written, exit 2 with one sentence."""

from __future__ import annotations

import pytest

from napari_segreview import cli
from napari_segreview.model import load_model
from tests.model.models import save_random_checkpoint

from .synthetic import nifti_pair, png_folder

TINY = ["--epochs", "2", "--width", "4", "--depth", "2", "--batch-size", "4", "--device", "cpu"]


def one_sentence(text: str, command: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"segreview {command}: ") and lines[0].endswith(".")
    return lines[0]


def test_train_on_a_png_folder_writes_a_loadable_checkpoint(tmp_path, capsys):
    data = png_folder(tmp_path / "data")
    out = tmp_path / "model.pt"
    assert cli.main(["train", str(data), "--out", str(out), *TINY]) == 0
    captured = capsys.readouterr()
    assert "epoch 2/2" in captured.err and "val dice" in captured.err
    assert f"wrote {out}" in captured.out
    assert load_model(out).config.classes == 1
    assert (tmp_path / "model.resume.pt").is_file()


def test_train_on_a_nifti_pair_with_labels_and_resume(tmp_path, capsys):
    image, labels = nifti_pair(tmp_path / "data")
    out = tmp_path / "model.pt"
    argv = ["train", str(image), "--labels", str(labels), "--out", str(out), "--axis", "coronal", *TINY]
    assert cli.main([*argv, "--class-names", "outer,inner"]) == 0
    config = load_model(out).config
    assert config.slice_axis == 1 and config.class_names == {1: "outer", 2: "inner"}
    capsys.readouterr()
    assert cli.main([*argv, "--class-names", "outer,inner", "--resume", "--epochs", "3"]) == 0
    err = capsys.readouterr().err
    assert "epoch 3/3" in err and "epoch 1/" not in err


def test_train_with_an_input_size_records_it_and_inference_returns_the_image_size(tmp_path):
    from napari_segreview.model import predict
    from tests.model.models import smooth_image

    data = png_folder(tmp_path / "data")
    out = tmp_path / "fixed.pt"
    assert cli.main(["train", str(data), "--out", str(out), "--input-size", "16", "12", *TINY]) == 0
    model = load_model(out)
    assert model.config.input_size == (16, 12)
    assert predict(model, smooth_image((37, 29))).labels.shape == (37, 29)


@pytest.mark.parametrize(
    ("make_argv", "expected"),
    [
        (
            lambda d: ["train", str(d / "data"), "--out", str(d / "m.pt"), "--input-size", "1", "2", "3"],
            "--input-size takes one or two positive numbers",
        ),
        (
            lambda d: ["train", str(d / "data"), "--out", str(d / "m.pt"), "--input-size", "18", *TINY],
            "the input size 18 x 18 must be a multiple of 4 (2 ** depth) on each side.",
        ),
        (lambda d: ["train", str(d / "missing"), "--out", str(d / "m.pt")], "missing does not exist"),
        (lambda d: ["train", str(d / "data"), "--out", str(d / "m.txt")], "--out must end in .pt"),
        (lambda d: ["train", str(d / "data"), "--out", str(d / "m.pt"), "--axis", "up"], "--axis takes"),
        (lambda d: ["train", str(d / "data"), "--out", str(d / "m.pt"), "--epochs", "0"], "epochs must be at least"),
        (lambda d: ["train", str(d / "data"), "--out", str(d / "m.pt"), "--resume"], "no resume file m.resume.pt"),
        (lambda d: ["train", str(d / "data"), "--out", str(d / "m.pt"), "--device", "tpu"], "is not a device"),
    ],
)
def test_train_bad_usage_exits_2_with_one_sentence(tmp_path, capsys, make_argv, expected):
    png_folder(tmp_path / "data", count=2)
    assert cli.main(make_argv(tmp_path)) == 2
    assert expected in one_sentence(capsys.readouterr().err, "train")


def test_train_names_an_unreadable_image_and_exits_2(tmp_path, capsys):
    data = png_folder(tmp_path / "data", count=3)
    (data / "images" / "case_2.png").write_bytes(b"\x89PNG broken")
    assert cli.main(["train", str(data), "--out", str(tmp_path / "m.pt"), *TINY]) == 2
    assert "Cannot read case_2.png as an image: " in one_sentence(capsys.readouterr().err, "train")
    assert not (tmp_path / "m.pt").exists()


def test_train_refuses_to_replace_a_checkpoint_without_force(tmp_path, capsys):
    data = png_folder(tmp_path / "data", count=2)
    (tmp_path / "m.pt").write_bytes(b"keep me")
    assert cli.main(["train", str(data), "--out", str(tmp_path / "m.pt")]) == 2
    assert "already exists" in one_sentence(capsys.readouterr().err, "train")
    assert (tmp_path / "m.pt").read_bytes() == b"keep me"


def test_export_onnx_writes_a_loadable_file(tmp_path, capsys):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    checkpoint, config = save_random_checkpoint(tmp_path / "tiny.pt")
    out = tmp_path / "tiny.onnx"
    assert cli.main(["export-onnx", str(checkpoint), str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert load_model(out).config == config
    assert cli.main(["export-onnx", str(checkpoint), str(out)]) == 2
    assert "already exists" in one_sentence(capsys.readouterr().err, "export-onnx")


@pytest.mark.parametrize(
    ("make_argv", "expected"),
    [
        (lambda d: ["export-onnx", str(d / "none.pt"), str(d / "x.onnx")], "none.pt does not exist"),
        (lambda d: ["export-onnx", str(d / "bad.pt"), str(d / "x.pb")], "must end in .onnx"),
        (lambda d: ["export-onnx", str(d / "bad.pt"), str(d / "x.onnx")], "Cannot read bad.pt"),
    ],
)
def test_export_onnx_bad_usage_exits_2_with_one_sentence(tmp_path, capsys, make_argv, expected):
    (tmp_path / "bad.pt").write_bytes(b"garbage")
    assert cli.main(make_argv(tmp_path)) == 2
    assert expected in one_sentence(capsys.readouterr().err, "export-onnx")
