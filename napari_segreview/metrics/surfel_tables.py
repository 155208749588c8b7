"""Surface element sizes of every 2x2(x2) neighbourhood, as the DeepMind surface-distance convention uses them.

A surfel sits on each corner of the voxel grid whose neighbourhood is partly inside the mask. Its size is the
part of the marching-cubes surface (in 2D, marching-squares contour) that crosses that 2x2x2 (2x2) cell, in
physical units. We derive the table ourselves: classic (Lorensen) marching cubes on the cell with at most four
voxels inside, its complement otherwise, which makes a configuration and its complement the same surface.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# Bit weights of the cell's voxels: the voxel at offset (a, b, c) contributes 2 ** (7 - (4a + 2b + c)).
CODE_WEIGHTS_3D = (2 ** (7 - np.arange(8))).reshape(2, 2, 2)
CODE_WEIGHTS_2D = (2 ** (3 - np.arange(4))).reshape(2, 2)


@lru_cache(maxsize=1)
def _unit_triangle_area_vectors() -> tuple[np.ndarray, ...]:
    """Per configuration code, the area vectors (n, 3) of its marching-cubes triangles at unit spacing."""
    from skimage.measure import marching_cubes  # only the surfel convention needs it: imported on first use

    vectors: list[np.ndarray] = []
    for code in range(256):
        inside = (code & CODE_WEIGHTS_3D) > 0
        if inside.sum() > 4:
            inside = ~inside
        if not inside.any():
            vectors.append(np.zeros((0, 3)))
            continue
        vertices, faces, _normals, _values = marching_cubes(inside.astype(float), 0.5, method="lorensen")
        corners = vertices.astype(float)[faces]
        vectors.append(0.5 * np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]))
    return tuple(vectors)


def surfel_areas_3d(spacing) -> np.ndarray:
    """Area (physical units squared) of the surface inside a cell, indexed by its 8-bit code."""
    s0, s1, s2 = (float(s) for s in spacing)
    # a triangle's area vector scales by the cofactors of diag(spacing)
    cofactors = np.array([s1 * s2, s0 * s2, s0 * s1])
    return np.array([np.linalg.norm(v * cofactors, axis=1).sum() for v in _unit_triangle_area_vectors()])


def surfel_lengths_2d(spacing) -> np.ndarray:
    """Length (physical units) of the marching-squares contour inside a 2x2 cell, indexed by its 4-bit code."""
    spacing = np.asarray(spacing, dtype=float)
    # the cell's edges as pairs of corner offsets, and the midpoint where the contour crosses each
    edges = [((0, 0), (0, 1)), ((1, 0), (1, 1)), ((0, 0), (1, 0)), ((0, 1), (1, 1))]
    lengths = np.zeros(16)
    for code in range(16):
        inside = (code & CODE_WEIGHTS_2D) > 0
        crossings = [np.add(a, b) / 2.0 for a, b in edges if inside[a] != inside[b]]
        if len(crossings) == 2:
            lengths[code] = np.linalg.norm((crossings[0] - crossings[1]) * spacing)
        elif len(crossings) == 4:
            # a saddle: two segments, each from a corner's two edge midpoints (either pairing has this length)
            lengths[code] = 2 * np.linalg.norm(0.5 * spacing)
    return lengths
