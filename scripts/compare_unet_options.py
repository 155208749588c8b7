"""Does a U-Net option make the demo model better? The demo model's own training run, once per option.

    python scripts/compare_unet_options.py                      # every variant, ~5-10 min each on 2 CPU cores
    python scripts/compare_unet_options.py cbam elastic --out /tmp/variants

Each variant is ``scripts/train_demo_model.py``'s ``segreview train`` run (same data, split, seed, epochs,
early stopping) with one option added; the trained model then predicts the whole MNI152 volume through the
inference engine and its Dice per tissue on the held-out axial slices is printed (``metrics.volume_metrics``),
as ``train_demo_model.py`` reports the demo model. The held-out slices also pick the best epoch, for every
variant alike. Models go to ``--out`` (a temporary folder by default); the demo model is never touched.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_demo_model as demo  # noqa: E402

from napari_segreview.io import read_nifti  # noqa: E402
from napari_segreview.metrics import volume_metrics  # noqa: E402
from napari_segreview.model import load_model, predict  # noqa: E402
from napari_segreview.plugin.sample_data import TISSUE_CLASSES, sample_path  # noqa: E402
from napari_segreview.training.loop import held_out_slices  # noqa: E402

VARIANTS = {
    "plain": [],
    "cbam": ["--attention", "cbam"],
    "deep-supervision": ["--deep-supervision"],
    "elastic": ["--elastic", "0.5"],
}


def held_out_dice(model_path: Path) -> dict[int, float]:
    image = read_nifti(sample_path("t1.nii.gz")).data
    truth = read_nifti(sample_path("tissue_seg.nii.gz")).data
    labels = predict(load_model(model_path), image, axis=0, device="cpu").labels
    held = held_out_slices(image.shape[0], demo.VAL_FRACTION, demo.SEED)
    rows = volume_metrics(truth[held], labels[held], labels=sorted(TISSUE_CLASSES))
    return {label: float(rows[label]["dice"]) for label in TISSUE_CLASSES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="*", metavar="VARIANT", help=f"some of {', '.join(VARIANTS)} (default: all)")
    parser.add_argument("--out", type=Path, help="folder for the trained models (default: a temporary one)")
    args = parser.parse_args()
    unknown = [name for name in args.variants if name not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}.")
    args.variants = args.variants or list(VARIANTS)
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.out or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        results = []
        for name in args.variants:
            out = folder / f"{name}.pt"
            original = list(demo.TRAIN_OPTIONS)
            demo.TRAIN_OPTIONS[:] = original + VARIANTS[name] + ["--force"]
            try:
                started = time.perf_counter()
                demo.train_demo(out)
                seconds = time.perf_counter() - started
            finally:
                demo.TRAIN_OPTIONS[:] = original
            dice = held_out_dice(out)
            results.append((name, dice, seconds))
            print(f"{name}: " + ", ".join(f"{TISSUE_CLASSES[k]} {v:.3f}" for k, v in dice.items()), flush=True)
    print("\nheld-out axial slices, Dice per tissue (and training wall time):")
    for name, dice, seconds in results:
        values = "  ".join(f"{TISSUE_CLASSES[k]} {v:.3f}" for k, v in dice.items())
        print(f"  {name:18s} {values}  mean {sum(dice.values()) / len(dice):.3f}  ({seconds / 60:.1f} min)")


if __name__ == "__main__":
    main()
