"""Regenerate the bundled demo model: ``segreview train`` on the MNI152 sample, then its held-out Dice.

    python scripts/train_demo_model.py            # about 10 minutes on 2 shared CPU cores

Trains on the shipped T1 (``data/mni152/t1.nii.gz``) and its tissue labels (0 background, 1 grey matter, 2 white
matter), axial slices (display axis 0), holding out 20% of the slices in blocks of 8 neighbours (seed 0), and
writes ``napari_segreview/data/demo_model/unet_mni_tissue.pt``. It then predicts the whole volume with the
inference engine and prints Dice per tissue on the held-out slices (``metrics.volume_metrics``) and the worst
held-out slices. The training runs through the ``segreview train`` subcommand's own code with the arguments
printed first; the run is deterministic on the CPU for a given torch version and thread count.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from napari_segreview.cli import train as train_command
from napari_segreview.cli.errors import UsageError
from napari_segreview.io import read_nifti
from napari_segreview.metrics import slice_metrics, volume_metrics
from napari_segreview.model import load_model, predict
from napari_segreview.plugin.sample_data import TISSUE_CLASSES, sample_path
from napari_segreview.training.loop import held_out_slices

TARGET = Path(__file__).resolve().parent.parent / "napari_segreview" / "data" / "demo_model" / "unet_mni_tissue.pt"
SEED = 0
VAL_FRACTION = 0.2
TRAIN_OPTIONS = [
    "--axis", "axial",
    "--epochs", "30",
    "--batch-size", "8",
    "--lr", "2e-3",
    "--width", "16",
    "--depth", "4",
    "--patch-size", "128",
    "--val-fraction", str(VAL_FRACTION),
    "--patience", "10",
    "--seed", str(SEED),
    "--class-names", ",".join(TISSUE_CLASSES[label] for label in sorted(TISSUE_CLASSES)),
    "--device", "cpu",
]  # fmt: skip


def train_demo(out: Path) -> float:
    """Run ``segreview train`` on the sample; returns the wall time in seconds."""
    argv = ["train", str(sample_path("t1.nii.gz")), "--labels", str(sample_path("tissue_seg.nii.gz"))]
    argv += ["--out", str(out), *TRAIN_OPTIONS]
    print("segreview " + " ".join(argv), flush=True)
    parser = argparse.ArgumentParser(prog="segreview")
    train_command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        args.run(args)
    except UsageError as exc:
        sys.exit(f"segreview train: {exc}")
    return time.perf_counter() - started


def report(model_path: Path) -> None:
    """Per-tissue Dice on the held-out axial slices, and the five worst held-out slices by mean Dice."""
    image = read_nifti(sample_path("t1.nii.gz")).data
    truth = read_nifti(sample_path("tissue_seg.nii.gz")).data
    model = load_model(model_path)
    labels = predict(model, image, axis=0, device="cpu").labels
    held = held_out_slices(image.shape[0], VAL_FRACTION, SEED)
    rows = volume_metrics(truth[held], labels[held], labels=sorted(TISSUE_CLASSES))
    print(f"held-out axial slices: {int(held.sum())} of {image.shape[0]}")
    for label, name in TISSUE_CLASSES.items():
        print(f"  {name}: Dice {rows[label]['dice']:.3f}  IoU {rows[label]['iou']:.3f}")
    per_label = {
        label: [row["dice"] for row in slice_metrics(truth[held], labels[held], axis=0, labels=[label])]
        for label in TISSUE_CLASSES
    }
    indices = np.flatnonzero(held)
    mean_dice = np.mean([per_label[label] for label in TISSUE_CLASSES], axis=0)
    print("worst held-out slices (axial index: Dice, ground-truth / predicted voxels per tissue):")
    for position in np.argsort(mean_dice, kind="stable")[:5]:
        index = indices[position]
        parts = [
            f"{name} {per_label[label][position]:.3f} ({int((truth[index] == label).sum())}"
            f"/{int((labels[index] == label).sum())})"
            for label, name in TISSUE_CLASSES.items()
        ]
        print(f"  {index}: " + ", ".join(parts))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        trained = Path(folder) / TARGET.name  # the resume file stays in the temporary folder
        seconds = train_demo(trained)
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(trained, TARGET)
    print(f"training took {seconds / 60:.1f} min; wrote {TARGET} ({TARGET.stat().st_size / 1e6:.1f} MB)")
    report(TARGET)


if __name__ == "__main__":
    main()
