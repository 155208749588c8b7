"""The training loop: AdamW, cosine annealing, early stopping on validation Dice, best checkpoint, resume.

:func:`train` is a generator: it yields :class:`StepProgress` after every batch and :class:`EpochResult` after
every epoch, and returns a :class:`TrainingResult` (``result = yield from train(...)``; :func:`run_training`
just runs it). Closing the generator stops between two batches; the files written so far stay valid.

Split (seeded by ``seed``): with two or more cases, whole cases are held out (``val_fraction`` of them, at least
one); with a single volume, its slices are grouped in blocks of 8 neighbours and whole blocks are held out, so
a held-out slice's close neighbours are not in the training set. Validation runs on whole slices (padded like the
inference engine pads them) and scores each held-out case with ``metrics.volume_metrics``: Dice and IoU per
foreground label, averaged over labels and cases.

Options of the seed article (all off by default, and then a run is exactly what it was without them):
``attention="cbam"`` and ``deep_supervision`` go into the model config (and so into the checkpoint); with deep
supervision the loss is ``model.losses.deep_supervision_loss`` over the network's decoder stages, weights
``supervision_decay ** stage`` normalised to sum 1, while validation (like inference) sees only the
full-resolution output. ``elastic`` is the probability of an elastic deformation per training sample
(``augment.ElasticOptions``: ``elastic_alpha``, ``elastic_sigma`` in pixels).

Files: the best checkpoint (highest validation Dice; the last epoch without validation) at ``out`` in our format
(``model.checkpoint.save_checkpoint``), and after every epoch a resume file ``out`` with suffix ``.resume.pt``
holding the latest weights, optimizer, scheduler, epoch and random-generator state: tensors and plain values
only, read back with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..io.files import write_atomically
from ..metrics import volume_metrics
from ..model.checkpoint import build_unet, save_checkpoint, torch_bytes
from ..model.config import ATTENTION_KINDS, ModelConfig
from ..model.devices import resolve_device
from ..model.losses import deep_supervision_loss, loss_for, supervision_weights
from ..model.slice_batch import to_labels, to_probabilities
from .augment import ElasticOptions, augment, make_batch, patch_shape
from .datasets import Case, TrainingData
from .errors import TrainingError

RESUME_FORMAT = "napari-segreview.training-state"
SPLIT_BLOCK = 8  # neighbouring slices held out together when a single volume is split by slice


@dataclass(frozen=True)
class TrainingOptions:
    """epochs: the last epoch to train (a resumed run continues up to it with the saved optimizer and
    scheduler, so their learning rate, not ``lr``); patience: epochs without a better
    validation Dice before stopping early (0 = never); largest_patch: training patch side limit in pixels
    (bigger slices are randomly cropped, validation always sees whole slices); class_names: {label: name};
    attention, deep_supervision, supervision_decay, elastic, elastic_alpha, elastic_sigma: see the module
    docstring."""

    epochs: int = 50
    batch_size: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-4
    width: int = 16
    depth: int = 4
    bilinear: bool = True
    val_fraction: float = 0.2
    seed: int = 0
    patience: int = 10
    largest_patch: int = 256
    augment: bool = True
    device: str = "auto"
    resume: bool = False
    class_names: dict[int, str] = field(default_factory=dict)
    attention: str = "none"
    deep_supervision: bool = False
    supervision_decay: float = 0.5
    elastic: float = 0.0
    elastic_alpha: float = 100.0
    elastic_sigma: float = 8.0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "width", "depth", "largest_patch"):
            if getattr(self, name) < 1:
                raise TrainingError(f"{name.replace('_', '-')} must be at least 1, not {getattr(self, name)}.")
        if not 0 <= self.val_fraction < 1:
            raise TrainingError(f"val-fraction must be from 0 up to (not including) 1, not {self.val_fraction}.")
        if not self.lr > 0:
            raise TrainingError(f"lr must be positive, not {self.lr}.")
        if self.patience < 0:
            raise TrainingError(f"patience must be 0 or more, not {self.patience}.")
        if self.attention not in ATTENTION_KINDS:
            raise TrainingError(f"attention must be {' or '.join(ATTENTION_KINDS)}, not {self.attention!r}.")
        if not 0 < self.supervision_decay <= 1:
            raise TrainingError(f"supervision decay must be above 0 and at most 1, not {self.supervision_decay}.")
        self.elastic_options()  # its own checks of probability, alpha and sigma

    def elastic_options(self) -> ElasticOptions:
        return ElasticOptions(self.elastic, self.elastic_alpha, self.elastic_sigma)


@dataclass(frozen=True)
class StepProgress:
    epoch: int
    epochs: int
    step: int
    steps: int
    loss: float


@dataclass(frozen=True)
class EpochResult:
    """train_loss: mean over the epoch's batches; val_dice / val_iou: mean over labels and held-out cases (None
    without validation); label_dice: {label: mean Dice}; saved: the checkpoint was written this epoch."""

    epoch: int
    epochs: int
    train_loss: float
    val_dice: float | None
    val_iou: float | None
    label_dice: dict[int, float]
    saved: bool
    lr: float
    seconds: float


@dataclass(frozen=True)
class TrainingResult:
    checkpoint: Path
    config: ModelConfig
    best_epoch: int
    best_dice: float | None
    last_epoch: int
    stopped_early: bool
    history: list[EpochResult]


@dataclass(frozen=True, eq=False)
class Split:
    """Training samples ((case, slice) pairs) over ``train_cases``; validation cases (whole slices)."""

    train_cases: list[Case]
    samples: list[tuple[int, int]]
    val_cases: list[Case]


def resume_path(out: str | os.PathLike) -> Path:
    """The resume file beside checkpoint ``out``: ``model.pt`` -> ``model.resume.pt``."""
    out = Path(out)
    return out.with_name(f"{out.stem}.resume.pt")


def held_out_slices(slice_count: int, val_fraction: float, seed: int) -> np.ndarray:
    """Boolean mask of the slices a single volume holds out: whole blocks of ``SPLIT_BLOCK`` neighbours, chosen
    by a generator seeded with ``seed`` (the split :func:`split_cases` makes for one case)."""
    rng = np.random.default_rng(seed)
    blocks = -(-slice_count // SPLIT_BLOCK)
    held = min(blocks - 1, max(1, round(val_fraction * blocks)))
    val_blocks = set(rng.permutation(blocks)[:held].tolist())
    return np.array([index // SPLIT_BLOCK in val_blocks for index in range(slice_count)])


def split_cases(cases: Sequence[Case], val_fraction: float, seed: int) -> Split:
    """Held-out cases, or held-out blocks of slices for a single case (see the module docstring)."""
    rng = np.random.default_rng(seed)
    if val_fraction == 0:
        train_cases, val_cases = list(cases), []
    elif len(cases) >= 2:
        order = rng.permutation(len(cases))
        held = min(len(cases) - 1, max(1, round(val_fraction * len(cases))))
        val_cases = [cases[i] for i in sorted(order[:held])]
        train_cases = [cases[i] for i in sorted(order[held:])]
    else:
        case = cases[0]
        if len(case.labels) <= SPLIT_BLOCK:
            raise TrainingError(
                f"{case.name} has {len(case.labels)} slice(s), too few to hold some out; use --val-fraction 0."
            )
        in_val = held_out_slices(len(case.labels), val_fraction, seed)
        val_cases = [replace(case, images=case.images[in_val], labels=case.labels[in_val])]
        train_cases = [replace(case, images=case.images[~in_val], labels=case.labels[~in_val])]
    samples = [(c, s) for c, case in enumerate(train_cases) for s in range(len(case.labels))]
    return Split(train_cases, samples, val_cases)


def _padded_forward(model: torch.nn.Module, batch: torch.Tensor, multiple: int) -> torch.Tensor:
    """Logits at the batch's size; the batch is padded at the bottom/right with edge values, as in inference."""
    rows, cols = batch.shape[-2:]
    padded = F.pad(batch, (0, -cols % multiple, 0, -rows % multiple), mode="replicate")
    return model(padded)[..., :rows, :cols].float()


def predict_case(
    model: torch.nn.Module, case: Case, config: ModelConfig, device: torch.device, batch_size: int
) -> np.ndarray:
    """Label maps (slices, rows, cols) of one case by ``model`` in eval mode, as the inference engine labels."""
    model.eval()
    labels = []
    with torch.inference_mode():
        for start in range(0, len(case.images), batch_size):
            batch = torch.from_numpy(case.normalised(slice(start, start + batch_size))).to(device)
            probabilities = to_probabilities(_padded_forward(model, batch, config.size_multiple), config.classes)
            labels.append(to_labels(probabilities, config.classes).cpu().numpy())
    return np.concatenate(labels)


def validate(
    model: torch.nn.Module, cases: Sequence[Case], config: ModelConfig, device: torch.device, batch_size: int
) -> tuple[float, float, dict[int, float]]:
    """(mean Dice, mean IoU, {label: mean Dice}) over held-out cases, by our metrics engine."""
    foreground = list(range(1, config.label_count))
    dice: dict[int, list[float]] = {label: [] for label in foreground}
    iou: list[float] = []
    for case in cases:
        predicted = predict_case(model, case, config, device, batch_size)
        rows = volume_metrics(case.labels, predicted, labels=foreground)
        for label in foreground:
            dice[label].append(float(rows[label]["dice"]))
            iou.append(float(rows[label]["iou"]))
    label_dice = {label: float(np.mean(values)) for label, values in dice.items()}
    return float(np.mean(list(label_dice.values()))), float(np.mean(iou)), label_dice


def _save_state(path: Path, state: dict[str, Any]) -> None:
    write_atomically(path, lambda temporary: temporary.write_bytes(torch_bytes(state)), suffix=".pt")


def _load_state(path: Path, config: ModelConfig, split: dict[str, Any]) -> dict[str, Any]:
    if not path.is_file():
        raise TrainingError(f"there is no resume file {path.name} to continue from.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        raise TrainingError(f"{path.name} is not a readable resume file (damaged, or it holds code).") from None
    if not isinstance(state, dict) or state.get("format") != RESUME_FORMAT:
        raise TrainingError(f"{path.name} is not a napari-segreview resume file.")
    if state.get("config") != config.to_dict():
        raise TrainingError(
            f"{path.name} was written for another model or data (width, depth, classes or normalisation differ)."
        )
    if state.get("split") != split:
        # another seed or fraction would move held-out slices into the training set
        raise TrainingError(
            f"{path.name} was written with --seed {state.get('split', {}).get('seed')} and --val-fraction "
            f"{state.get('split', {}).get('val_fraction')}; resume with the same split."
        )
    return state


def train(
    data: TrainingData, out: str | os.PathLike, options: TrainingOptions | None = None
) -> Generator[StepProgress | EpochResult, None, TrainingResult]:
    """Train a U-Net on ``data``, writing the best checkpoint to ``out`` (see the module docstring)."""
    options = options or TrainingOptions()
    out = Path(out)
    device = resolve_device(options.device)
    config = ModelConfig(
        in_channels=data.in_channels,
        classes=data.network_classes,
        width=options.width,
        depth=options.depth,
        bilinear=options.bilinear,
        normalisation=data.normalisation,
        class_names=options.class_names,
        slice_axis=data.slice_axis,
        input_size=data.input_size,
        attention=options.attention,
        deep_supervision=options.deep_supervision,
    )
    if data.input_size is not None and any(n % config.size_multiple for n in data.input_size):
        rows, cols = data.input_size
        raise TrainingError(
            f"the input size {rows} x {cols} must be a multiple of {config.size_multiple} (2 ** depth) on each side."
        )
    split = split_cases(data.cases, options.val_fraction, options.seed)
    if not split.samples:
        raise TrainingError("no slice is left for training.")
    # a fixed-size model trains on whole slices of that size: the inference engine feeds it nothing else
    shape = data.input_size or patch_shape(split.train_cases, config.size_multiple, options.largest_patch)

    torch.manual_seed(options.seed)
    generator = torch.Generator().manual_seed(options.seed)
    model = build_unet(config).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.lr, weight_decay=options.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=options.epochs)
    use_amp = device.type == "cuda"  # float16 autocast with loss scaling; CPU and MPS train in float32
    scaler = torch.amp.GradScaler("cuda") if use_amp else None
    loss_function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = loss_for(config.classes)
    # full resolution and each coarser decoder stage with a head: depth outputs in all
    weights = supervision_weights(config.depth, options.supervision_decay) if config.deep_supervision else None
    elastic = options.elastic_options()

    split_options = {"seed": options.seed, "val_fraction": options.val_fraction}
    first_epoch, best_dice, best_epoch, stale = 1, None, 0, 0
    state_path = resume_path(out)
    if options.resume:
        state = _load_state(state_path, config, split_options)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scheduler.T_max = options.epochs  # a resumed run may be given more epochs than the first
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        first_epoch = int(state["epoch"]) + 1
        best_dice, best_epoch, stale = state["best_dice"], int(state["best_epoch"]), int(state["stale"])
        if first_epoch > options.epochs:
            raise TrainingError(
                f"{state_path.name} already reached epoch {first_epoch - 1}; give --epochs above that to continue."
            )

    history: list[EpochResult] = []
    steps = -(-len(split.samples) // options.batch_size)
    stopped_early = False
    last_epoch = first_epoch - 1
    for epoch in range(first_epoch, options.epochs + 1):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(len(split.samples), generator=generator).tolist()
        losses = []
        for step in range(steps):
            chosen = [split.samples[i] for i in order[step * options.batch_size : (step + 1) * options.batch_size]]
            images, labels = make_batch(split.train_cases, chosen, shape, generator)
            if options.augment:
                images, labels = augment(images, labels, generator, elastic)
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad(set_to_none=True)
            autocast = torch.autocast("cuda", dtype=torch.float16) if use_amp else contextlib.nullcontext()
            with autocast:
                if weights is None:
                    loss = loss_function(model(images), labels)
                else:
                    loss = deep_supervision_loss(loss_function, model.deep_outputs(images), labels, weights)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            losses.append(float(loss.detach()))
            yield StepProgress(epoch, options.epochs, step + 1, steps, losses[-1])
        lr = optimizer.param_groups[0]["lr"]
        scheduler.step()

        val_dice = val_iou = None
        label_dice: dict[int, float] = {}
        if split.val_cases:
            val_dice, val_iou, label_dice = validate(model, split.val_cases, config, device, options.batch_size)
        improved = val_dice is None or best_dice is None or val_dice > best_dice
        if improved:
            best_dice, best_epoch, stale = val_dice, epoch, 0
            save_checkpoint(out, model, config)
        else:
            stale += 1
        last_epoch = epoch
        _save_state(
            state_path,
            {
                "format": RESUME_FORMAT,
                "config": config.to_dict(),
                "split": split_options,
                "epoch": epoch,
                "model": {key: value.detach().cpu() for key, value in model.state_dict().items()},
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "generator": generator.get_state(),
                "torch_rng": torch.get_rng_state(),
                "best_dice": best_dice,
                "best_epoch": best_epoch,
                "stale": stale,
            },
        )
        result = EpochResult(
            epoch,
            options.epochs,
            float(np.mean(losses)),
            val_dice,
            val_iou,
            label_dice,
            improved,
            lr,
            time.perf_counter() - started,
        )
        history.append(result)
        yield result
        if options.patience and split.val_cases and stale >= options.patience:
            stopped_early = True
            break
    return TrainingResult(out, config, best_epoch, best_dice, last_epoch, stopped_early, history)


def run_training(data: TrainingData, out: str | os.PathLike, options: TrainingOptions | None = None) -> TrainingResult:
    """:func:`train` without progress: runs to the end and returns its result."""
    steps = train(data, out, options)
    while True:
        try:
            next(steps)
        except StopIteration as finished:
            return finished.value
