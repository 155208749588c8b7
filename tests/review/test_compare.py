"""The slab-by-slab comparison of label arrays against numpy's whole-array answer."""

from __future__ import annotations

import numpy as np
import pytest

from napari_segreview.review import compare
from napari_segreview.review.compare import arrays_differ, changed_slices


@pytest.fixture(autouse=True)
def small_slabs(monkeypatch):
    # 3-plane slabs of 7x6 (11 planes: 3, 3, 3, 2); 7-row slabs of a 30x20 picture (7, 7, 7, 7, 2)
    monkeypatch.setattr(compare, "SLAB_VOXELS", 150)


def _pair(seed: int):
    rng = np.random.default_rng(seed)
    before = rng.integers(0, 4, (11, 7, 6), dtype=np.uint8)
    return before, before.copy()


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("voxels", [[], [(10, 6, 5)], [(0, 0, 0), (4, 3, 2), (5, 3, 1)], [(9, 0, 5), (10, 6, 0)]])
def test_changed_slices_match_numpy(axis, voxels):
    before, after = _pair(len(voxels))
    for voxel in voxels:
        after[voxel] = (after[voxel] + 1) % 4
    expected = np.flatnonzero(np.any(before != after, axis=tuple(a for a in range(3) if a != axis)))
    np.testing.assert_array_equal(changed_slices(before, after, axis), expected)
    assert arrays_differ(before, after) == (not np.array_equal(before, after)) == bool(voxels)


def test_slabs_span_several_planes_and_end_short():
    assert [(part.start, part.stop) for part in compare._slabs((11, 7, 6))] == [(0, 3), (3, 6), (6, 9), (9, 11)]
    assert [part.stop - part.start for part in compare._slabs((30, 20))] == [7, 7, 7, 7, 2]


def test_a_change_in_the_last_short_slab_is_found():
    before, after = _pair(1)
    after[-1, -1, -1] += 1
    assert arrays_differ(before, after)
    np.testing.assert_array_equal(changed_slices(before, after, 0), [10])


def test_shapes_that_differ():
    before, _ = _pair(2)
    assert arrays_differ(before, before[:-1])
    np.testing.assert_array_equal(changed_slices(before, before[:-1], 1), np.arange(7))


def test_pictures():
    before = np.zeros((30, 20), np.uint8)
    after = before.copy()
    np.testing.assert_array_equal(changed_slices(before, after, 0), [])
    after[29, 19] = 1
    assert arrays_differ(before, after)
    np.testing.assert_array_equal(changed_slices(before, after, 0), [0])
