"""Inference speed: the seed article's naive loop against our engine, same weights, same volume, one process.

    python benchmarks/run_inference.py                     # width 64 (seed, random weights) and the demo model
    python benchmarks/run_inference.py --slices 40         # 40 evenly spaced axial slices (quicker)
    python benchmarks/run_inference.py --checkpoint m.pt   # another trained model (--checkpoint none: skip)

Input: the MNI152 T1 shipped with the package (189 x 233 x 197, 1 mm, uint8), axial slices (display axis 0),
z-score normalised over the volume, padded to a multiple of 16 (edge values repeated), 3 classes.

The naive loop is written the way the seed article runs its model (``process_dicom``/``validate``): one slice at a
time, float32, ``torch.no_grad()``, the module as built (contiguous NCHW tensors), softmax then argmax per slice.
It gets the same normalisation and padding as the engine, so the only differences are how the network is driven.

Width 64 has no trained model (none ships: it would be ~70 MB), so its weights are random (seeded) with batch-norm
statistics measured on the volume itself (a few slices through the network in training mode), so activations have
a trained network's scale. The demo model (width 16) is the trained one the package ships.

Labels can differ between two float32 runs: channels-last convolutions add in another order than NCHW ones, so
a voxel where two classes' logits tie to within rounding may flip. Where that happens a float64 run of those
slices is the referee: it reports how often each float32 result disagrees with float64 there, and how close the
two classes' logits were. bfloat16 (opt-in, ``--precision bfloat16``) is shown with its label agreement; on
CUDA the opt-in row is float16 autocast and the float32 row is asked for explicitly.

Times are the best of ``--repeat`` rounds after a warm-up, the contenders taking turns in each round (a burst of
other work on the machine then slows one round of each, not every round of one). CPU threads are torch's default
unless ``--threads`` is given. CUDA figures are added when a GPU is present (none is on this project's machines:
that path is written, not measured).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from napari_segreview.io import read_nifti
from napari_segreview.model import LoadedModel, ModelConfig, build_unet, load_model, predict
from napari_segreview.model import inference as engine
from napari_segreview.model.demo import demo_model_path
from napari_segreview.model.devices import default_batch_size
from napari_segreview.model.normalisation import intensity_transform
from napari_segreview.plugin.sample_data import sample_path

CLASSES = 3


def normalised(images: np.ndarray, transform, dtype=np.float32) -> np.ndarray:
    """Grey intensities normalised as the engine normalises them: clipped (when the config clips), then the
    volume's offset and scale."""
    data = images.astype(dtype)
    if transform.clip is not None:
        data = np.clip(data, *transform.clip)
    return (data - transform.offset[0]) * transform.scale[0]


def seed_loop(
    net: nn.Module, volume: np.ndarray, config: ModelConfig, device: torch.device, timing: dict | None = None
) -> np.ndarray:
    """The naive per-slice inference of the seed article: one slice, float32, no_grad, one argmax at a time.
    ``timing["network"]`` accumulates the seconds spent in the network itself."""
    net.eval().to(device)
    transform = intensity_transform(volume, config.normalisation)
    multiple = config.size_multiple
    labels = np.zeros(volume.shape, dtype=np.uint8)
    for index in range(volume.shape[0]):
        image = normalised(volume[index], transform)
        rows, cols = image.shape
        tensor = torch.from_numpy(image).unsqueeze(0).unsqueeze(0).to(device)
        tensor = F.pad(tensor, (0, -cols % multiple, 0, -rows % multiple), mode="replicate")
        started = time.perf_counter()
        with torch.no_grad():
            logits = net(tensor)
            if timing is not None:
                timing["network"] = timing.get("network", 0.0) + time.perf_counter() - started
            probabilities = torch.softmax(logits, dim=1)
        labels[index] = probabilities.argmax(dim=1)[0, :rows, :cols].cpu().numpy()
    return labels


def float64_referee(
    state: dict, config: ModelConfig, volume: np.ndarray, naive: np.ndarray, ours: np.ndarray
) -> dict[str, float]:
    """Where the naive loop and ours disagree, which one float64 arithmetic sides with.

    The network runs in float64 (NCHW, one slice at a time) on every slice holding a differing voxel. Returns
    the slices, the voxels where each float32 result disagrees with float64 on them, and the float64 logit gap
    between the two classes at the differing voxels next to the median top-two gap of those slices."""
    slices = np.unique(np.nonzero(naive != ours)[0])
    net = build_unet(config).double().eval()
    net.load_state_dict(state)
    transform = intensity_transform(volume, config.normalisation)
    naive_wrong = ours_wrong = 0
    gaps, typical = [], []
    for index in slices:
        image = normalised(volume[index], transform, np.float64)
        rows, cols = image.shape
        tensor = F.pad(torch.from_numpy(image)[None, None], (0, -cols % 16, 0, -rows % 16), mode="replicate")
        with torch.no_grad():
            logits = net(tensor)[0, :, :rows, :cols].numpy()
        exact = logits.argmax(axis=0)
        naive_wrong += int((naive[index] != exact).sum())
        ours_wrong += int((ours[index] != exact).sum())
        where = naive[index] != ours[index]
        picked = np.take_along_axis(logits, np.stack([naive[index], ours[index]]).astype(np.int64), axis=0)
        gaps.append(np.abs(picked[0] - picked[1])[where])
        top_two = np.sort(logits, axis=0)[-2:]
        typical.append(np.median(top_two[1] - top_two[0]))
    return {
        "slices": len(slices),
        "naive_wrong": naive_wrong,
        "ours_wrong": ours_wrong,
        "max_gap": float(np.concatenate(gaps).max()) if gaps else 0.0,
        "typical_gap": float(np.median(typical)) if typical else 0.0,
    }


def calibrated_random_unet(config: ModelConfig, volume: np.ndarray, seed: int = 0) -> nn.Module:
    """Seeded random weights; batch-norm running statistics measured on a few slices of ``volume``."""
    torch.manual_seed(seed)
    net = build_unet(config)
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.momentum = None  # cumulative average over the calibration pass
    transform = intensity_transform(volume, config.normalisation)
    picks = volume[np.linspace(volume.shape[0] // 4, 3 * volume.shape[0] // 4, 4).astype(int)]
    batch = torch.from_numpy(normalised(picks, transform))[:, None]
    batch = F.pad(batch, (0, -batch.shape[-1] % 16, 0, -batch.shape[-2] % 16), mode="replicate")
    net.train()
    with torch.no_grad():
        net(batch)
    return net.eval()


def interleaved_best_times(runs: dict[str, Callable[[], np.ndarray]], repeat: int) -> dict[str, tuple]:
    """{name: (best seconds, result)}; the runs take turns, so a burst of other work on the machine slows one
    round of every contender rather than all rounds of one."""
    best: dict[str, tuple] = {name: (np.inf, None) for name in runs}
    for _ in range(repeat):
        for name, function in runs.items():
            start = time.perf_counter()
            result = function()
            best[name] = (min(best[name][0], time.perf_counter() - start), result)
    return best


def all_slices_computed(slices: np.ndarray):
    """A plan that sends every slice through the network (no reuse of constant slices), to show that part."""
    return engine._SlicePlan(np.arange(len(slices)), {})


def every_slice(function: Callable[[], np.ndarray]) -> Callable[[], np.ndarray]:
    def run() -> np.ndarray:
        shipped_plan, engine._plan_slices = engine._plan_slices, all_slices_computed
        try:
            return function()
        finally:
            engine._plan_slices = shipped_plan

    return run


def compare(name: str, state: dict, config: ModelConfig, volume: np.ndarray, device: str, args) -> None:
    torch_device = torch.device(device)
    naive_net = build_unet(config)
    naive_net.load_state_dict(state)
    ours = LoadedModel.from_module(build_unet(config), config, name=name)
    ours.runner.module.load_state_dict(state)
    run_ours = lambda: predict(ours, volume, axis=0, device=device, batch_size=args.batch_size).labels  # noqa: E731
    lower = "float16" if torch_device.type == "cuda" else "bfloat16"
    options = {"axis": 0, "device": device, "batch_size": args.batch_size, "precision": lower}
    run_lower = lambda: predict(ours, volume, **options).labels  # noqa: E731
    if torch_device.type == "cuda":  # ours defaults to float16 autocast there: float32 is the like-for-like row
        run_ours = lambda: predict(ours, volume, axis=0, device=device, precision="float32").labels  # noqa: E731
    timing: dict = {}
    run_naive = lambda: seed_loop(naive_net, volume, config, torch_device, timing)  # noqa: E731

    warm = volume[volume.shape[0] // 2 : volume.shape[0] // 2 + 2]
    seed_loop(naive_net, warm, config, torch_device), predict(ours, warm, device=device, batch_size=2)
    runs = {"naive": run_naive, "every": every_slice(run_ours), "ours": run_ours, "lower": run_lower}
    times = interleaved_best_times(runs, args.repeat)
    (naive_seconds, naive_labels), (every_seconds, every_labels), (our_seconds, our_labels) = list(times.values())[:3]
    lower_seconds, lower_labels = times["lower"]
    naive_network = timing["network"] / args.repeat

    slices = volume.shape[0]
    differing = int((naive_labels != our_labels).sum())
    print(f"\n=== {name} on {device}: {slices} axial slices of {volume.shape[1]}x{volume.shape[2]}")
    print(f"  {'':44s} {'seconds':>8s} {'slices/s':>9s} {'vs naive':>9s}")
    print(f"  {'seed naive loop (1 slice, float32, no_grad)':44s} {naive_seconds:8.2f} {slices / naive_seconds:9.2f}")
    print(
        f"  {'  of which in the network (mean of runs)':44s} {naive_network:8.2f}   (the rest: normalising, padding, "
        "softmax, argmax over classes, copies)"
    )
    batch = args.batch_size or f"auto = {default_batch_size(torch_device)}"
    label = f"ours, every slice computed (batch {batch})"
    print(f"  {label:44s} {every_seconds:8.2f} {slices / every_seconds:9.2f} {naive_seconds / every_seconds:8.2f}x")
    label = f"ours, as shipped, float32 (batch {batch})"
    print(f"  {label:44s} {our_seconds:8.2f} {slices / our_seconds:9.2f} {naive_seconds / our_seconds:8.2f}x")
    label = f"ours, --precision {lower} (opt-in)"
    print(f"  {label:44s} {lower_seconds:8.2f} {slices / lower_seconds:9.2f} {naive_seconds / lower_seconds:8.2f}x")
    constant = len(volume) - len(engine._plan_slices(volume).computed)
    print(f"  slices reusing the result of an identical constant slice: {constant} of {slices}")
    print(
        f"  label agreement with the naive loop: {1 - differing / naive_labels.size:.7f} "
        f"({differing} of {naive_labels.size} voxels differ; every-slice run: "
        f"{int((every_labels != naive_labels).sum())} differ)"
    )
    lower_differing = int((lower_labels != naive_labels).sum())
    print(f"  {lower}: label agreement {1 - lower_differing / naive_labels.size:.7f} ({lower_differing} voxels differ)")
    print(f"  classes (naive): {np.bincount(naive_labels.ravel(), minlength=config.label_count).tolist()}")
    if differing:
        referee = float64_referee(state, config, volume, naive_labels, our_labels)
        print(
            f"  float64 referee on the {referee['slices']} slices where float32 results differ: the naive loop "
            f"disagrees with float64 at {referee['naive_wrong']} voxels, ours at {referee['ours_wrong']}; at the "
            f"differing voxels the two classes' float64 logits are at most {referee['max_gap']:.1e} apart (median "
            f"top-two gap on those slices: {referee['typical_gap']:.2f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--widths", type=int, nargs="*", default=[64], help="random-weight U-Net widths (default: 64, the seed's)"
    )
    parser.add_argument("--slices", type=int, help="benchmark this many evenly spaced axial slices (default: all)")
    parser.add_argument("--batch-size", type=int, help="slices per batch (default: the engine's, 2 on the CPU)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument(
        "--checkpoint", default="demo", help="trained model to benchmark too: a .pt file, demo (default) or none"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    volume = read_nifti(sample_path("t1.nii.gz")).data
    if args.slices:
        volume = np.ascontiguousarray(volume[np.linspace(0, len(volume) - 1, args.slices).round().astype(int)])
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, {os.cpu_count()} cores, "
        f"{platform.processor() or platform.machine()}; load average before start {os.getloadavg()[0]:.2f}"
    )
    print(f"MNI152 T1 {volume.shape} ({'all' if not args.slices else args.slices} axial slices)")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for width in args.widths:
        config = ModelConfig(in_channels=1, classes=CLASSES, width=width, depth=4, bilinear=True)
        state = calibrated_random_unet(config, volume).state_dict()
        for device in devices:
            compare(f"U-Net width {width}, random weights", state, config, volume, device, args)
    if args.checkpoint != "none":
        model = load_model(demo_model_path() if args.checkpoint == "demo" else args.checkpoint)
        if model.source != "checkpoint":
            parser.error("--checkpoint takes a napari-segreview .pt checkpoint (the naive loop needs the module).")
        state = model.runner.module.state_dict()
        for device in devices:
            compare(f"{model.name} (trained, width {model.config.width})", state, model.config, volume, device, args)


if __name__ == "__main__":
    main()
