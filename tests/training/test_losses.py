"""Losses on logits against values computed by hand."""

from __future__ import annotations

import math

import pytest
import torch

from napari_segreview.model.losses import dice_bce_loss, dice_ce_loss, loss_for, soft_dice_loss


def test_binary_dice_of_even_logits_matches_hand_computation():
    # sigmoid(0) = 0.5 on 4 pixels, 1 foreground: intersection 0.5, sums 2 + 1; smooth 1 -> (1 + 1) / (3 + 1)
    logits = torch.zeros(1, 1, 2, 2)
    target = torch.tensor([[[1, 0], [0, 0]]])
    assert soft_dice_loss(logits, target).item() == pytest.approx(0.5)
    assert dice_bce_loss(logits, target).item() == pytest.approx(0.5 + math.log(2))


def test_multiclass_dice_of_even_logits_matches_hand_computation():
    # softmax(0) = 1/3 per class; class 1: (2/3 + 1) / (4/3 + 1 + 1) = 1/2, class 2: (4/3 + 1) / (4/3 + 2 + 1) = 7/13
    logits = torch.zeros(1, 3, 2, 2)
    target = torch.tensor([[[0, 1], [2, 2]]])
    expected_dice = 1 - (0.5 + 7 / 13) / 2
    assert soft_dice_loss(logits, target).item() == pytest.approx(expected_dice)
    assert dice_ce_loss(logits, target).item() == pytest.approx(expected_dice + math.log(3))


def test_smoothing_is_the_given_constant():
    logits = torch.zeros(1, 1, 2, 2)
    target = torch.tensor([[[1, 0], [0, 0]]])
    # smooth 0: 2 * 0.5 / 3
    assert soft_dice_loss(logits, target, smooth=0.0).item() == pytest.approx(1 - 1 / 3)


def test_background_counts_only_when_asked():
    logits = torch.zeros(1, 2, 1, 2)
    target = torch.tensor([[[0, 1]]])
    # each class: intersection 1/2, sums 1 + 1 -> (1 + 1) / (2 + 1) = 2/3, background the same
    assert soft_dice_loss(logits, target, include_background=True).item() == pytest.approx(1 / 3)
    assert soft_dice_loss(logits, target).item() == pytest.approx(1 / 3)


def test_confident_correct_logits_give_nearly_zero_loss():
    target = torch.tensor([[[0, 1], [2, 1]]])
    logits = torch.nn.functional.one_hot(target, 3).permute(0, 3, 1, 2).float() * 40
    assert dice_ce_loss(logits, target).item() == pytest.approx(0.0, abs=1e-6)
    binary = torch.tensor([[[0, 1], [1, 0]]])
    assert dice_bce_loss((binary[:, None].float() * 2 - 1) * 40, binary).item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("classes", [1, 3])
def test_gradients_are_finite_for_empty_masks(classes):
    logits = torch.randn(2, classes, 8, 8, requires_grad=True)
    target = torch.zeros(2, 8, 8, dtype=torch.long)
    loss = loss_for(classes)(logits, target)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(logits.grad).all()
    assert logits.grad.abs().sum() > 0


def test_predicting_nothing_on_an_empty_mask_costs_nothing():
    assert soft_dice_loss(torch.full((1, 1, 4, 4), -50.0), torch.zeros(1, 4, 4)).item() == pytest.approx(0, abs=1e-6)


def test_target_with_a_channel_axis_is_accepted():
    logits = torch.zeros(1, 1, 2, 2)
    assert soft_dice_loss(logits, torch.tensor([[[[1, 0], [0, 0]]]])).item() == pytest.approx(0.5)


def test_mismatched_shapes_and_channel_counts_are_refused():
    with pytest.raises(ValueError, match="does not match"):
        soft_dice_loss(torch.zeros(1, 1, 2, 2), torch.zeros(1, 3, 3))
    with pytest.raises(ValueError, match="one output channel"):
        dice_bce_loss(torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="two or more"):
        dice_ce_loss(torch.zeros(1, 1, 2, 2), torch.zeros(1, 2, 2))
