"""Deep-supervision loss: weights halving per stage, each stage against the target downsampled by nearest."""

from __future__ import annotations

import pytest
import torch

from napari_segreview.model.losses import deep_supervision_loss, dice_ce_loss, supervision_weights


def test_weights_halve_per_stage_and_sum_to_one():
    assert supervision_weights(1) == [1.0]
    assert supervision_weights(3) == pytest.approx([4 / 7, 2 / 7, 1 / 7])
    assert supervision_weights(3, decay=1.0) == pytest.approx([1 / 3] * 3)


def test_each_stage_is_scored_against_every_second_label_of_the_finer_one():
    generator = torch.Generator().manual_seed(0)
    target = torch.randint(3, (2, 8, 12), generator=generator)
    outputs = [torch.randn(2, 3, 8 // 2**s, 12 // 2**s, generator=generator) for s in range(3)]
    weights = [0.5, 0.3, 0.2]
    # nearest neighbour at half size keeps the label at even rows and columns: plain slicing, not our code
    expected = sum(
        w * dice_ce_loss(o, target[:, :: 2**s, :: 2**s]) for s, (w, o) in enumerate(zip(weights, outputs, strict=True))
    )
    assert deep_supervision_loss(dice_ce_loss, outputs, target, weights).item() == pytest.approx(expected.item())


def test_a_single_output_is_the_plain_loss():
    target = torch.randint(2, (1, 4, 4))
    logits = torch.randn(1, 3, 4, 4)
    assert torch.equal(deep_supervision_loss(dice_ce_loss, [logits], target, [1.0]), dice_ce_loss(logits, target))


def test_mismatched_weights_are_refused():
    with pytest.raises(ValueError, match="one weight per output"):
        deep_supervision_loss(
            dice_ce_loss, [torch.randn(1, 3, 4, 4)], torch.zeros(1, 4, 4, dtype=torch.long), [0.5, 0.5]
        )
