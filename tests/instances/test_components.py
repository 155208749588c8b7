"""Instances from a semantic mask (connected components, minimum size) and from an instance map as given."""

from __future__ import annotations

import numpy as np
import pytest

from napari_segreview.instances import instances_as_given, instances_from_semantic


def _diagonal_pair() -> np.ndarray:
    mask = np.zeros((4, 4), np.uint8)
    mask[0, 0] = mask[1, 1] = 1  # touch at a corner only
    return mask


def test_connectivity_1_splits_corner_neighbours_and_connectivity_2_joins_them():
    assert instances_from_semantic(_diagonal_pair(), connectivity=1).max() == 2
    assert instances_from_semantic(_diagonal_pair(), connectivity=2).max() == 1


def test_3d_connectivity_counts_faces_edges_and_corners():
    mask = np.zeros((5, 5, 5), bool)
    mask[0, 0, 0] = mask[1, 1, 1] = True  # corner neighbours
    mask[3, 3, 0] = mask[4, 4, 0] = True  # edge neighbours
    assert [instances_from_semantic(mask, connectivity=c).max() for c in (1, 2, 3)] == [4, 3, 2]


def test_label_selects_one_class_and_none_takes_every_foreground_value():
    mask = np.array([[1, 1, 0, 2, 2, 0, 1]])
    np.testing.assert_array_equal(instances_from_semantic(mask, label=1), [[1, 1, 0, 0, 0, 0, 2]])
    np.testing.assert_array_equal(instances_from_semantic(mask), [[1, 1, 0, 2, 2, 0, 3]])


def test_min_size_drops_small_components_and_keeps_ids_consecutive():
    mask = np.zeros((1, 12), np.uint8)
    mask[0, 0:1] = 1
    mask[0, 2:5] = 1
    mask[0, 6:7] = 1
    mask[0, 8:12] = 1
    np.testing.assert_array_equal(instances_from_semantic(mask, min_size=3), [[0, 0, 1, 1, 1, 0, 0, 0, 2, 2, 2, 2]])


def test_instances_as_given_keeps_ids_and_does_not_split_an_object_in_two_places():
    label_map = np.array([[5, 0, 5, 9]], np.uint16)
    result = instances_as_given(label_map)
    assert result.dtype == np.int32
    np.testing.assert_array_equal(result, label_map)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: instances_from_semantic(np.zeros((3, 3)), connectivity=3), "connectivity must be 1 to 2"),
        (lambda: instances_from_semantic(np.zeros((3, 3)), min_size=-1), "min_size"),
        (lambda: instances_as_given(np.full((2, 2), 0.5)), "non-integer"),
        (lambda: instances_as_given(np.full((2, 2), -1)), "negative"),
        (lambda: instances_as_given(np.zeros(4)), "2D or 3D"),
        (lambda: instances_as_given(np.full((2, 2), 2**40)), "too large"),
    ],
)
def test_bad_input_is_one_sentence(call, message):
    with pytest.raises(ValueError, match=message):
        call()
