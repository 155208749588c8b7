"""``segreview train DATA --out model.pt``: train a U-Net on 2D images + masks or NIfTI volumes + labels.

DATA is one of (see ``training/datasets.py``): a folder with ``images/`` and ``masks/`` (PNG/JPEG/TIFF or NIfTI,
paired by name, ISIC layout); a folder of NIfTI pairs ``NAME.nii.gz`` + ``NAME_seg.nii.gz``; or one NIfTI image
with ``--labels LABELS.nii.gz``. The best checkpoint (by validation Dice) is written to ``--out``, the resume state
beside it (``model.resume.pt``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..io.masks import SLICE_AXIS_NAMES
from .errors import UsageError
from .progress_bar import TextProgressBar


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a U-Net on images + masks (2D folder or NIfTI) and write a checkpoint",
        description=(
            "Train a 2D U-Net (AdamW, cosine learning rate, early stopping on validation Dice) on DATA: a folder "
            "with images/ and masks/ paired by name (PNG, JPEG, TIFF or NIfTI), a folder of NAME.nii.gz + "
            "NAME_seg.nii.gz pairs, or one NIfTI image with --labels. Volumes are cut into slices along --axis. "
            "An unreadable or unpaired file stops the run before training, naming the file."
        ),
    )
    parser.add_argument("data", type=Path, metavar="DATA", help="training data folder, or a NIfTI image with --labels")
    parser.add_argument("--out", required=True, type=Path, metavar="MODEL.pt", help="checkpoint to write")
    parser.add_argument("--labels", type=Path, metavar="LABELS.nii.gz", help="label volume of a single NIfTI DATA")
    parser.add_argument("--epochs", type=int, default=50, metavar="N", help="epochs to train (default: 50)")
    parser.add_argument("--batch-size", type=int, default=8, metavar="N", help="slices per batch (default: 8)")
    parser.add_argument("--lr", type=float, default=1e-3, metavar="LR", help="AdamW learning rate (default: 1e-3)")
    parser.add_argument("--width", type=int, default=16, metavar="W", help="first-level channels (default: 16)")
    parser.add_argument("--depth", type=int, default=4, metavar="D", help="number of downsamplings (default: 4)")
    parser.add_argument(
        "--axis",
        default="0",
        metavar="A",
        help="slice axis of NIfTI volumes: 0, 1, 2 (display order) or axial, coronal, sagittal (default: axial)",
    )
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=0.2,
        metavar="F",
        help="share held out for validation: whole cases, or blocks of 8 slices of a single volume (default: 0.2)",
    )
    parser.add_argument(
        "--patch-size",
        type=int,
        default=256,
        metavar="PX",
        help="largest training patch side; bigger slices are randomly cropped (default: 256)",
    )
    parser.add_argument(
        "--input-size",
        type=int,
        nargs="+",
        metavar="PX",
        help="resize every slice to SIZE or ROWS COLS (a multiple of 2**depth) as it is read, and record it in the "
        "model: inference then resizes to it and back, as the seed's ISIC pipeline does (default: slices keep "
        "their size)",
    )
    parser.add_argument("--patience", type=int, default=10, metavar="N", help="early stopping patience (0 = off)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default: 0)")
    parser.add_argument("--class-names", metavar="NAMES", help="comma-separated names of labels 1, 2, ...")
    parser.add_argument("--no-augment", action="store_true", help="train without augmentation")
    parser.add_argument(
        "--attention",
        choices=("none", "cbam"),
        default="none",
        help="attention on the U-Net's skip connections: none or cbam (CBAM; default: none)",
    )
    parser.add_argument(
        "--deep-supervision",
        action="store_true",
        help="add auxiliary losses at the coarser decoder stages (1x1 heads; predictions stay full resolution)",
    )
    parser.add_argument(
        "--supervision-decay",
        type=float,
        default=0.5,
        metavar="D",
        help="deep-supervision weight ratio from one stage to the next coarser one (default: 0.5, halving)",
    )
    parser.add_argument(
        "--elastic",
        type=float,
        default=0.0,
        metavar="P",
        help="probability of an elastic deformation per training slice (default: 0, off)",
    )
    parser.add_argument(
        "--elastic-alpha",
        type=float,
        default=100.0,
        metavar="PX",
        help="elastic displacement scale in pixels; typical shift ~0.16 alpha / sigma (default: 100)",
    )
    parser.add_argument(
        "--elastic-sigma",
        type=float,
        default=8.0,
        metavar="PX",
        help="elastic field smoothness, Gaussian sigma in pixels (default: 8)",
    )
    parser.add_argument("--resume", action="store_true", help="continue from the resume file beside --out")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists (not needed with --resume)")
    parser.add_argument(
        "--device", default="auto", metavar="DEVICE", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps"
    )
    parser.set_defaults(run=run)


def _input_size(values: list[int] | None) -> tuple[int, int] | None:
    if values is None:
        return None
    if len(values) > 2 or min(values) < 1:
        raise UsageError(f"--input-size takes one or two positive numbers (SIZE or ROWS COLS), not {values}.")
    return (values[0], values[-1])


def _axis(text: str) -> int:
    if text.lower() in SLICE_AXIS_NAMES:
        return SLICE_AXIS_NAMES[text.lower()]
    if text in ("0", "1", "2"):
        return int(text)
    raise UsageError(f"--axis takes 0, 1, 2 or one of {', '.join(SLICE_AXIS_NAMES)}, not {text!r}.")


def _class_names(text: str | None) -> dict[int, str]:
    if not text:
        return {}
    return {label: name.strip() for label, name in enumerate(text.split(","), start=1)}


def _dice(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def run(args: argparse.Namespace) -> int:
    if args.out.suffix.lower() not in (".pt", ".pth"):
        raise UsageError(f"--out must end in .pt, not {args.out.name}.")
    if args.out.exists() and not (args.force or args.resume):
        raise UsageError(f"{args.out} already exists; use --force to replace it or --resume to continue.")
    axis = _axis(args.axis)
    # torch is imported only once the arguments are known to be usable
    from ..model import DeviceError, ModelConfigError
    from ..training import (
        EpochResult,
        TrainingDataError,
        TrainingError,
        TrainingOptions,
        load_training_data,
        train,
    )

    try:
        options = TrainingOptions(
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            width=args.width,
            depth=args.depth,
            val_fraction=args.val_fraction,
            seed=args.seed,
            patience=args.patience,
            largest_patch=args.patch_size,
            augment=not args.no_augment,
            device=args.device,
            resume=args.resume,
            class_names=_class_names(args.class_names),
            attention=args.attention,
            deep_supervision=args.deep_supervision,
            supervision_decay=args.supervision_decay,
            elastic=args.elastic,
            elastic_alpha=args.elastic_alpha,
            elastic_sigma=args.elastic_sigma,
        )
        data = load_training_data(args.data, labels=args.labels, axis=axis, input_size=_input_size(args.input_size))
        steps = train(data, args.out, options)
        bar = None
        result = None
        while True:
            started = time.perf_counter()
            try:
                step = next(steps)
            except StopIteration as finished:
                result = finished.value
                break
            step_seconds = time.perf_counter() - started
            if result is None:  # the first step: the options and files were accepted
                result = False
                print(
                    f"training on {len(data.cases)} case(s), {data.slice_count} slice(s), {data.label_count - 1} "
                    f"foreground label(s), {data.in_channels} channel(s)",
                    file=sys.stderr,
                )
            if isinstance(step, EpochResult):
                if bar is not None:
                    bar.close()
                    bar = None
                labels = " ".join(f"{label}:{dice:.3f}" for label, dice in step.label_dice.items())
                print(
                    f"epoch {step.epoch}/{step.epochs}  loss {step.train_loss:.4f}  val dice {_dice(step.val_dice)}  "
                    f"iou {_dice(step.val_iou)}  {labels}  lr {step.lr:.2e}  {step.seconds:.1f} s"
                    + ("  saved" if step.saved else ""),
                    file=sys.stderr,
                )
                continue
            if bar is None:
                bar = TextProgressBar(f"epoch {step.epoch}/{step.epochs}", unit="batches")
                bar.started -= step_seconds  # the bar starts after the first batch: count it
            bar.label = f"epoch {step.epoch}/{step.epochs} loss {step.loss:.4f}"
            bar.update(step.step, step.steps)
    except (TrainingDataError, TrainingError, ModelConfigError, DeviceError) as exc:
        raise UsageError(str(exc)) from None
    if result.stopped_early:
        print(f"stopped early: no better validation Dice for {args.patience} epoch(s)", file=sys.stderr)
    best = f" (validation Dice {result.best_dice:.3f})" if result.best_dice is not None else ""
    print(f"wrote {result.checkpoint}: best epoch {result.best_epoch}{best}")
    return 0
