"""``segreview predict IMAGE --model CKPT --out PRED.nii.gz``: segment one image with a model, write NIfTI labels
on the image's grid (its affine copied), or a PNG mask for a 2D picture."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

import nibabel as nib
import numpy as np

from ..io import ImageReadError, geometry_from_scale_translate, read_volume, write_label_picture, write_nifti_labels
from ..io.masks import SLICE_AXIS_NAMES
from ..io.nifti import is_nifti_path
from ..io.reports import format_table
from ..model.demo import DEMO_MODEL, demo_model_path
from ..model.normalisation import intensity_problem
from ..model.precision import PRECISION_CHOICES
from .errors import UsageError
from .progress_bar import TextProgressBar


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="segment an image with a U-Net checkpoint and write the labels as NIfTI",
        description=(
            "Run a segmentation model on IMAGE (.nii, .nii.gz, .npy, or a 2D .png/.jpg/.tif/.bmp picture; 3D volumes "
            "slice by slice along an axis) and write the labels to a NIfTI file with the image's affine, or, for a "
            "2D image, to a PNG mask (a one-class model's as 0/255, a multi-class model's as label values). "
            "Models: napari-segreview checkpoints (.pt, loaded without running code), TorchScript programs named .ts "
            "(they run code: only trusted ones), and ONNX files when onnxruntime is installed."
        ),
    )
    parser.add_argument(
        "image", type=Path, metavar="IMAGE", help="image file: .nii, .nii.gz, .npy, .png, .jpg, .tif or .bmp"
    )
    parser.add_argument("--model", required=True, metavar="CKPT|demo", help="model file, or demo (the bundled model)")
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="PRED.nii.gz",
        help="labels file to write: .nii, .nii.gz, or .png for a 2D image",
    )
    parser.add_argument(
        "--device", default="auto", metavar="DEVICE", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps"
    )
    parser.add_argument(
        "--axis",
        metavar="A",
        help="slice axis of a 3D image: 0, 1, 2 (array order) or, for NIfTI, axial, coronal, sagittal "
        "(default: the axis the model was trained on)",
    )
    parser.add_argument(
        "--batch-size", type=int, metavar="N", help="slices per batch (default: 2 on the CPU, 8 on a GPU)"
    )
    parser.add_argument(
        "--precision",
        default="auto",
        choices=PRECISION_CHOICES,
        help="network arithmetic: auto (float16 on CUDA, float32 elsewhere), float32, bfloat16 (faster on CPUs with "
        "AVX512-BF16 or AMX, 1.5-2.1x here; labels may change where classes are close), float16 (GPU only)",
    )
    parser.add_argument("--tta", action="store_true", help="flip test-time augmentation (4 passes per slice)")
    parser.add_argument(
        "--scales",
        type=float,
        nargs="+",
        metavar="S",
        help="multi-scale test-time augmentation, e.g. --scales 0.75 1 1.25 (one pass per scale)",
    )
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.set_defaults(run=run)


def _slice_axis(text: str | None, is_nifti: bool) -> int | None:
    if text is None:
        return None
    if is_nifti and text.lower() in SLICE_AXIS_NAMES:
        return SLICE_AXIS_NAMES[text.lower()]
    if text in ("0", "1", "2"):
        return int(text)
    names = f" or one of {', '.join(SLICE_AXIS_NAMES)}" if is_nifti else ""
    raise UsageError(f"--axis takes 0, 1, 2{names}, not {text!r}.")


def _is_png(path: Path) -> bool:
    return path.suffix.lower() == ".png"


def _check_paths(args: argparse.Namespace) -> None:
    if str(args.model) == DEMO_MODEL:
        args.model = demo_model_path()
    if not args.image.is_file():
        raise UsageError(f"{args.image} does not exist." if not args.image.exists() else f"{args.image} is a folder.")
    if not (is_nifti_path(args.out) or _is_png(args.out)):
        raise UsageError(f"--out must end in .nii, .nii.gz or .png, not {args.out.name}.")
    if os.path.exists(args.out) and os.path.samefile(args.out, args.image):
        raise UsageError(f"--out {args.out} is the input image; give another file name for the labels.")
    if args.out.is_dir():
        raise UsageError(f"--out {args.out} is a folder; give a file name for the labels.")
    if args.out.exists() and not args.force:
        raise UsageError(f"{args.out} already exists; use --force to replace it.")
    _check_folder_writable(args.out)


def _check_folder_writable(out: Path) -> None:
    """The labels' folder, or the nearest one above it that exists (the rest is created), takes new files."""
    folder = out.absolute().parent
    while not folder.exists() and not folder.is_symlink():
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {out}: {folder} is not a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {out}: {folder} does not take new files (permission denied).")


def _check_nifti_shape(out: Path, shape: tuple[int, ...], image_name: str) -> None:
    """A NIfTI-1 header holds each axis length in 16 bits: refuse a longer axis before running the model."""
    try:
        nib.Nifti1Header().set_data_shape(shape)
    except nib.spatialimages.HeaderDataError:
        longest = max(shape)
        raise UsageError(
            f"--out {out.name}: {image_name} has {longest} voxels along one axis but a NIfTI-1 file holds at most "
            f"32767 per axis; crop or downsample the image{' or write a .png' if len(shape) == 2 else ''}."
        ) from None


def _run_with_progress_bar(steps, bar: TextProgressBar):
    """Drive the inference generator, drawing its progress; returns its Prediction."""
    try:
        while True:
            step = next(steps)
            bar.update(step.done, step.total)
    except StopIteration as finished:
        return finished.value
    finally:
        bar.close()


def run(args: argparse.Namespace) -> int:
    _check_paths(args)
    # torch is imported only once the arguments are known to be usable
    from ..model import CheckpointError, DeviceError, InferenceError, ModelInputError, load_model, run_inference
    from ..model.devices import resolve_device

    try:
        volume = read_volume(args.image)
        volume = replace(volume, data=volume.stored_values())  # an input image: intensities as stored
        model = load_model(args.model)
        device = resolve_device(args.device)
    except (ImageReadError, CheckpointError, DeviceError) as exc:
        raise UsageError(str(exc)) from None
    rgb = volume.data.ndim == len(volume.scale) + 1
    spatial_ndim = len(volume.scale)
    problem = intensity_problem(volume.data, args.image.name)
    if problem is not None:  # said before the model is loaded onto a device
        raise UsageError(problem)
    axis = _slice_axis(args.axis, volume.geometry is not None)
    if spatial_ndim == 2 and axis is not None:
        raise UsageError(f"--axis applies to 3D images; {args.image.name} is 2D.")
    if spatial_ndim == 3 and axis is None:
        axis = model.config.slice_axis
    if spatial_ndim == 3 and _is_png(args.out):
        raise UsageError(f"--out {args.out.name}: a PNG holds a 2D mask but {args.image.name} is 3D; use .nii.gz.")
    if _is_png(args.out) and model.config.label_count > 256:
        raise UsageError(f"--out {args.out.name}: a PNG mask holds labels up to 255; use .nii.gz for this model.")
    labels_shape = volume.data.shape[:spatial_ndim]
    if not _is_png(args.out):
        on_disk = volume.geometry.file_shape if volume.geometry is not None else labels_shape
        _check_nifti_shape(args.out, tuple(on_disk), args.image.name)

    steps = run_inference(
        model,
        volume.data,
        rgb=rgb,
        axis=axis,
        device=device,
        batch_size=args.batch_size,
        precision=args.precision,
        flip_tta=args.tta,
        scales=args.scales or (1.0,),
    )
    try:
        prediction = _run_with_progress_bar(steps, TextProgressBar(f"{model.name} on {args.image.name}"))
    except (ModelInputError, DeviceError) as exc:
        raise UsageError(str(exc)) from None
    except InferenceError as exc:  # the input was fine, the run failed (out of memory): exit 1, one sentence
        print(f"segreview predict: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:  # the model itself failed (e.g. a TorchScript/ONNX shape error): one sentence
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"segreview predict: the model failed on {args.image.name}: {reason}", file=sys.stderr)
        return 1

    labels = prediction.labels
    geometry = volume.geometry or geometry_from_scale_translate(labels.shape, volume.scale, volume.translate)
    try:
        if _is_png(args.out):
            write_label_picture(args.out, labels, binary=model.config.label_count == 2)
        else:
            write_nifti_labels(args.out, labels, geometry)
    except OSError as exc:
        raise UsageError(f"Cannot write {args.out}: {exc.strerror or exc}.") from None

    slices = labels.shape[axis] if axis is not None else 1
    along = f" along axis {axis}" if axis is not None else ""
    rate = slices / prediction.seconds if prediction.seconds > 0 else float("inf")
    print(
        f"{model.name} on {args.image.name}: {slices} slice(s){along} on {prediction.device} in "
        f"{prediction.precision}, batch {prediction.batch_size}, {prediction.seconds:.1f} s ({rate:.1f} slices/s)"
    )
    counts = np.bincount(labels.ravel().astype(np.int64), minlength=model.config.label_count)
    names = model.config.label_names()
    rows = [{"label": label, "name": names.get(label, ""), "voxels": int(counts[label])} for label in names]
    print(format_table(rows, ("label", "name", "voxels")))
    print(f"wrote {args.out}")
    return 0
