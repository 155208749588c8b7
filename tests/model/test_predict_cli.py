"""segreview predict: NIfTI labels on the image's grid (affine copied), progress on stderr, exit 2 with one
sentence for bad input."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest
import torch

from napari_segreview import cli
from napari_segreview.io import read_nifti
from napari_segreview.model import LoadedModel, load_model, predict
from napari_segreview.model import checkpoint as checkpoint_module
from tests.nifti_cases import AFFINES, write_nifti

from .models import save_random_checkpoint, smooth_image


@pytest.fixture
def checkpoint(tmp_path):
    return save_random_checkpoint(tmp_path / "tiny_unet.pt", class_names={1: "grey", 2: "white"})[0]


@pytest.fixture
def scan(tmp_path):
    """An LPS-stored anisotropic volume: display order differs from file order, so a copied affine shows."""
    return write_nifti(tmp_path / "scan.nii.gz", smooth_image((14, 12, 6)), AFFINES["LPS"])


def test_writes_labels_with_the_image_affine_and_voxel_order(scan, checkpoint, tmp_path, capsys):
    out = tmp_path / "scan_pred.nii.gz"
    assert cli.main(["predict", str(scan), "--model", str(checkpoint), "--out", str(out), "--axis", "axial"]) == 0
    written = nib.load(out)
    np.testing.assert_array_equal(written.affine, nib.load(scan).affine)
    assert written.shape == (14, 12, 6) and np.issubdtype(written.get_data_dtype(), np.integer)
    # the labels are the engine's prediction on the display-ordered volume, written back in file order
    volume = read_nifti(scan)
    expected = predict(load_model(checkpoint), volume.data, axis=0).labels
    np.testing.assert_array_equal(read_nifti(out).data, expected)
    captured = capsys.readouterr()
    assert "tiny_unet on scan.nii.gz: 6 slice(s) along axis 0 on cpu" in captured.out
    assert "grey" in captured.out and f"wrote {out}" in captured.out
    assert "6/6 slices" in captured.err  # the progress bar, one line per tenth on a non-terminal


def test_npy_input_gets_an_affine_from_unit_scale(checkpoint, tmp_path):
    np.save(tmp_path / "image.npy", smooth_image((20, 24)))
    out = tmp_path / "image_pred.nii"
    assert cli.main(["predict", str(tmp_path / "image.npy"), "--model", str(checkpoint), "--out", str(out)]) == 0
    reopened = read_nifti(out)
    assert reopened.data.shape == (20, 24) and reopened.scale == (1.0, 1.0)


def test_options_reach_the_engine(scan, checkpoint, tmp_path):
    out = tmp_path / "tta.nii.gz"
    argv = ["predict", str(scan), "--model", str(checkpoint), "--out", str(out), "--device", "cpu",
            "--batch-size", "3", "--tta", "--scales", "0.75", "1", "1.25", "--axis", "2"]  # fmt: skip
    assert cli.main(argv) == 0
    volume = read_nifti(scan)
    expected = predict(load_model(checkpoint), volume.data, axis=2, flip_tta=True, scales=(0.75, 1.0, 1.25))
    np.testing.assert_array_equal(read_nifti(out).data, expected.labels)


def test_existing_output_is_kept_unless_force(scan, checkpoint, tmp_path, capsys):
    out = tmp_path / "pred.nii.gz"
    out.write_bytes(b"keep me")
    assert cli.main(["predict", str(scan), "--model", str(checkpoint), "--out", str(out)]) == 2
    assert out.read_bytes() == b"keep me"
    assert capsys.readouterr().err == f"segreview predict: {out} already exists; use --force to replace it.\n"
    assert cli.main(["predict", str(scan), "--model", str(checkpoint), "--out", str(out), "--force"]) == 0
    assert nib.load(out).shape == (14, 12, 6)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["{missing}", "--model", "{checkpoint}"], "missing.nii.gz does not exist."),
        (["{scan}", "--model", "{missing_model}"], "nothing.pt does not exist."),
        (["{scan}", "--model", "{evil}"], "evil.pt was refused: loading it would run Python code"),
        (["{scan}", "--model", "{rgb_model}"], "the model takes 3 input channel(s) (RGB) but the image has 1 (grey)."),
        (["{scan}", "--model", "{checkpoint}", "--axis", "oblique"], "--axis takes 0, 1, 2 or one of axial"),
        (["{flat}", "--model", "{checkpoint}", "--axis", "0"], "--axis applies to 3D images; flat.npy is 2D."),
        (["{scan}", "--model", "{checkpoint}", "--batch-size", "0"], "the batch size must be a positive whole"),
        (["{scan}", "--model", "{checkpoint}", "--device", "tpu"], "'tpu' is not a device"),
        (["{scan}", "--model", "{checkpoint}", "--out", "{out_txt}"], "--out must end in .nii, .nii.gz or .png"),
        (["{scan}", "--model", "{checkpoint}", "--out", "{out_png}"], "a PNG holds a 2D mask but scan.nii.gz is 3D"),
        (["{scan}", "--model", "{checkpoint}", "--precision", "float16", "--device", "cpu"], "float16 needs a CUDA"),
        (["{broken_png}", "--model", "{checkpoint}"], "Cannot read broken.png as an image"),
        (["{corrupt}", "--model", "{checkpoint}"], "Cannot read corrupt.nii.gz as NIfTI"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(scan, checkpoint, tmp_path, capsys, arguments, message):
    evil = tmp_path / "evil.pt"
    torch.save({"config": json.loads}, evil)  # a callable: weights-only loading refuses to import it
    corrupt = tmp_path / "corrupt.nii.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00garbage")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    np.save(tmp_path / "flat.npy", np.zeros((8, 8), np.float32))
    paths = {
        "scan": scan,
        "checkpoint": checkpoint,
        "missing": tmp_path / "missing.nii.gz",
        "missing_model": tmp_path / "nothing.pt",
        "evil": evil,
        "rgb_model": save_random_checkpoint(tmp_path / "rgb.pt", in_channels=3)[0],
        "flat": tmp_path / "flat.npy",
        "out_txt": tmp_path / "pred.txt",
        "out_png": tmp_path / "pred.png",
        "broken_png": tmp_path / "broken.png",
        "corrupt": corrupt,
    }
    argv = ["predict", *(a.format(**paths) for a in arguments)]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "pred.nii.gz")]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("segreview predict: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "pred.nii.gz").exists() and not (tmp_path / "pred.png").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_exits_2(scan, checkpoint, tmp_path, capsys):
    argv = ["predict", str(scan), "--model", str(checkpoint), "--out", str(tmp_path / "p.nii.gz"), "--device", "cuda"]
    assert cli.main(argv) == 2
    assert "CUDA was requested but this PyTorch" in capsys.readouterr().err


def test_out_of_memory_at_one_slice_exits_1_with_one_sentence(scan, checkpoint, tmp_path, capsys, monkeypatch):
    class AlwaysOutOfMemory:
        def __init__(self, runner):
            self.runner = runner

        def __getattr__(self, name):
            return getattr(self.runner, name)

        def to(self, device):
            self.runner.to(device)

        def __call__(self, batch):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 8.00 GiB")

    def loading_a_model_that_never_fits(path, **kwargs):
        model = load_model(path, **kwargs)
        return LoadedModel(model.name, model.config, AlwaysOutOfMemory(model.runner), model.source)

    monkeypatch.setattr(checkpoint_module, "load_model", loading_a_model_that_never_fits)
    out = tmp_path / "pred.nii.gz"
    assert cli.main(["predict", str(scan), "--model", str(checkpoint), "--out", str(out), "--batch-size", "4"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "segreview predict: cpu ran out of memory even with one slice per batch; use a smaller model or smaller "
        "images.\n"
    )
    assert not out.exists()


def test_a_colour_picture_gives_a_png_mask_that_evaluate_reads_back(tmp_path, capsys):
    """The ISIC workflow: an RGB .jpg in, a 0/255 .png mask out, and that mask scores Dice 1 against itself."""
    from skimage.io import imread, imsave

    rgb_model = save_random_checkpoint(tmp_path / "lesions.pt", in_channels=3, classes=1)[0]
    picture = smooth_image((40, 48), channels=3).clip(0, 255).astype(np.uint8)
    imsave(tmp_path / "ISIC_0000001.jpg", picture, check_contrast=False)
    out = tmp_path / "ISIC_0000001_pred.png"
    argv = ["predict", str(tmp_path / "ISIC_0000001.jpg"), "--model", str(rgb_model), "--out", str(out)]
    assert cli.main(argv) == 0
    written = imread(out)
    expected = predict(load_model(rgb_model), imread(tmp_path / "ISIC_0000001.jpg"), rgb=True).labels
    assert written.dtype == np.uint8 and set(np.unique(written)) <= {0, 255}
    np.testing.assert_array_equal(written == 255, expected == 1)
    assert 0 < written.mean() < 255, "a mask of one value would not test the 0/255 mapping"
    report = tmp_path / "report.json"
    assert cli.main(["evaluate", str(out), str(out), "--out", str(report)]) == 0
    rows = json.loads(report.read_text())["rows"]
    assert [(row["label"], row["dice"], row["gt_voxels"]) for row in rows] == [(1, 1.0, int((written == 255).sum()))]


def test_precision_option_reaches_the_engine_and_is_reported(scan, checkpoint, tmp_path, capsys):
    out = tmp_path / "fast.nii.gz"
    argv = ["predict", str(scan), "--model", str(checkpoint), "--out", str(out), "--precision", "bfloat16"]
    assert cli.main(argv) == 0
    assert "on cpu in bfloat16" in capsys.readouterr().out
    expected = predict(load_model(checkpoint), read_nifti(scan).data, axis=0, precision="bfloat16").labels
    np.testing.assert_array_equal(read_nifti(out).data, expected)


def test_a_binary_looking_input_image_keeps_its_intensities(tmp_path):
    """A 0/255 image looks like a one-class mask to the reader (label 1); as a model input it must stay 0/255:
    with a fixed normalisation 0/1 would give other labels."""
    fixed = save_random_checkpoint(
        tmp_path / "fixed.pt", classes=1, normalisation={"kind": "fixed", "mean": 100.0, "std": 50.0}
    )[0]
    image = np.zeros((24, 32), np.uint8)
    image[5:18, 6:25] = 255
    np.save(tmp_path / "binary.npy", image)
    out = tmp_path / "binary_pred.nii"
    assert cli.main(["predict", str(tmp_path / "binary.npy"), "--model", str(fixed), "--out", str(out)]) == 0
    expected = predict(load_model(fixed), image.astype(np.float32)).labels
    assert not np.array_equal(expected, predict(load_model(fixed), (image > 0).astype(np.float32)).labels)
    np.testing.assert_array_equal(read_nifti(out).data, expected)
