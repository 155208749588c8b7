"""Training losses on logits: soft Dice, Dice + binary cross-entropy, multi-class Dice + cross-entropy.

Every loss takes the network's raw output (logits, ``(batch, classes, rows, cols)``) and applies the activation
itself, the one inference uses (``model/slice_batch.to_probabilities``): a sigmoid for one output channel, a
softmax over channels otherwise. Feeding probabilities would apply it twice; feeding logits to a Dice that
expects probabilities (the seed's trap) gives values outside 0..1. Targets are label maps ``(batch, rows, cols)``
of whole numbers: 0/1 for one channel, 0..classes-1 otherwise.

Dice is computed over the whole batch (sums over batch and pixels), per class:
``1 - (2 * sum(p * t) + smooth) / (sum(p) + sum(t) + smooth)``. The smoothing keeps loss and gradient finite when a
class is absent from both prediction and target (an empty mask gives loss 0 for a prediction of nothing, and a
gradient pushing the probabilities down otherwise).

Deep supervision (:func:`deep_supervision_loss`): the network's full-resolution logits and those of its coarser
decoder stages are each scored against the target downsampled to their size by nearest neighbour (so labels stay
labels), and the losses are summed with weights halving per stage, normalised to sum 1 (as in nnU-Net).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _check(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if logits.ndim != 4:
        raise ValueError(f"logits must be (batch, classes, rows, cols), not shape {tuple(logits.shape)}.")
    if target.ndim == 4 and target.shape[1] == 1:
        target = target[:, 0]
    if target.shape != logits.shape[:1] + logits.shape[2:]:
        raise ValueError(
            f"target shape {tuple(target.shape)} does not match logits {tuple(logits.shape)} (batch, rows, cols)."
        )
    return target


def _dice_per_class(probabilities: torch.Tensor, one_hot: torch.Tensor, smooth: float) -> torch.Tensor:
    """(classes,) soft Dice coefficients, each over the whole batch."""
    dims = (0, 2, 3)
    intersection = (probabilities * one_hot).sum(dims)
    total = probabilities.sum(dims) + one_hot.sum(dims)
    return (2 * intersection + smooth) / (total + smooth)


def soft_dice_loss(
    logits: torch.Tensor, target: torch.Tensor, *, smooth: float = 1.0, include_background: bool = False
) -> torch.Tensor:
    """1 - soft Dice, a scalar.

    One channel: Dice of the sigmoid foreground probability with ``target`` (0/1). Several channels: softmax,
    then the mean over classes of each class's Dice with the one-hot target; background (class 0) is left out
    unless ``include_background`` (it dominates every image and would make the loss look good when the
    foreground is missed; the cross-entropy of :func:`dice_ce_loss` covers it).
    """
    target = _check(logits, target)
    classes = logits.shape[1]
    logits = logits.float()
    if classes == 1:
        probabilities = torch.sigmoid(logits)
        one_hot = target[:, None].to(probabilities.dtype)
    else:
        probabilities = torch.softmax(logits, dim=1)
        one_hot = F.one_hot(target.long(), classes).permute(0, 3, 1, 2).to(probabilities.dtype)
        if not include_background:
            probabilities, one_hot = probabilities[:, 1:], one_hot[:, 1:]
    return 1 - _dice_per_class(probabilities, one_hot, smooth).mean()


def dice_bce_loss(
    logits: torch.Tensor, target: torch.Tensor, *, smooth: float = 1.0, bce_weight: float = 1.0
) -> torch.Tensor:
    """Soft Dice loss + ``bce_weight`` x binary cross-entropy, for one output channel (binary segmentation).

    The cross-entropy uses ``binary_cross_entropy_with_logits`` (numerically stable for large logits)."""
    target = _check(logits, target)
    if logits.shape[1] != 1:
        raise ValueError(f"dice_bce_loss takes one output channel, not {logits.shape[1]}; use dice_ce_loss.")
    bce = F.binary_cross_entropy_with_logits(logits[:, 0].float(), target.float())
    return soft_dice_loss(logits, target, smooth=smooth) + bce_weight * bce


def dice_ce_loss(
    logits: torch.Tensor, target: torch.Tensor, *, smooth: float = 1.0, ce_weight: float = 1.0
) -> torch.Tensor:
    """Soft Dice loss over the foreground classes + ``ce_weight`` x cross-entropy over all classes, for two or
    more output channels (class 0 = background)."""
    target = _check(logits, target)
    if logits.shape[1] < 2:
        raise ValueError("dice_ce_loss takes two or more output channels; use dice_bce_loss for one.")
    ce = F.cross_entropy(logits.float(), target.long())
    return soft_dice_loss(logits, target, smooth=smooth) + ce_weight * ce


def loss_for(classes: int) -> Loss:
    """The training loss for a network with ``classes`` output channels: Dice + BCE for 1, Dice + CE otherwise."""
    return dice_bce_loss if classes == 1 else dice_ce_loss


def supervision_weights(outputs: int, decay: float = 0.5) -> list[float]:
    """Loss weights of ``outputs`` outputs, full resolution first: ``1, decay, decay**2, ...`` divided by their sum."""
    raw = [decay**stage for stage in range(outputs)]
    return [weight / sum(raw) for weight in raw]


def deep_supervision_loss(
    loss: Loss, outputs: Sequence[torch.Tensor], target: torch.Tensor, weights: Sequence[float]
) -> torch.Tensor:
    """``sum(weight * loss(logits, target at the logits' size))`` over ``outputs`` (full resolution first).

    The target (batch, rows, cols) is downsampled by nearest neighbour (``F.interpolate``: for a 2x smaller map the
    label at every even row and column), never averaged, so every value is still one of its labels."""
    if len(outputs) != len(weights):
        raise ValueError(
            f"deep supervision needs one weight per output: {len(outputs)} outputs, {len(weights)} weights."
        )
    if target.ndim == 4 and target.shape[1] == 1:
        target = target[:, 0]
    total = torch.zeros((), device=outputs[0].device)
    for logits, weight in zip(outputs, weights, strict=True):
        scaled = target
        if tuple(logits.shape[-2:]) != tuple(target.shape[-2:]):
            scaled = F.interpolate(target[:, None].float(), size=tuple(logits.shape[-2:]), mode="nearest")[:, 0]
            scaled = scaled.to(target.dtype)
        total = total + weight * loss(logits, scaled)
    return total
