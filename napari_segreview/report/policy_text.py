"""The words the report carries about how its numbers were made: the metric conventions and the empty-mask
policy (as README's Metrics section and SPEC state them)."""

from __future__ import annotations

from .svg_plots import STRIP_LIMIT

EMPTY_MASK_POLICY = (
    "Empty masks (every convention): when neither mask holds a label the row is both_empty, with Dice 1, IoU 1, "
    "distances 0 and NSD 1; when one mask is empty (gt_empty or pred_empty) Dice and IoU are 0, HD, HD95 and ASSD "
    "are infinite and NSD is 0. Never NaN, and a miss is never 0, so a missed structure cannot improve a mean. "
    "Both-empty rows are left out of every statistic and plot here; rows with an infinite distance are kept in the "
    "Dice, IoU and NSD plots and left out of the distance plots, and counted."
)

CONVENTIONS = {
    "border": (
        "surface points are the voxels of mask XOR erosion(mask) (face connectivity, outside = background), "
        "distances between voxel centres; HD95 is the larger of the two directed 95th percentiles (linear "
        "interpolation); ASSD the mean of both directions' distances pooled; NSD the border points within the "
        "tolerance, both directions, over all border points. Equals MONAI's compute_hausdorff_distance"
        "(percentile=95), compute_average_surface_distance(symmetric=True) and compute_surface_dice."
    ),
    "surfel": (
        "surface elements on voxel corners weighted by their marching-cubes area (contour length in 2D); HD95 per "
        "direction the first distance whose cumulative area reaches 95%, the larger of the two; ASSD the "
        "area-weighted mean of both directions; NSD the area within the tolerance over the total area. Equals "
        "DeepMind's surface-distance."
    ),
    "pooled": (
        "surface points as in border; HD95 one 95th percentile of both directions pooled; ASSD and NSD as in "
        "border. Equals MedPy's hd95 and assd."
    ),
}

CONVENTION_NOTE = (
    "HD is the maximum (100th percentile) in every convention; Dice and IoU do not depend on the convention. "
    "Distances are in the unit of the voxel spacing (mm for NIfTI)."
)

EXCLUSION_NOTE = (
    "Each plot shows one box per label (quartiles, median line, whiskers at the furthest values within 1.5 IQR, "
    "outliers as red rings) and every value as a dot beside it (hover for its case; past "
    f"{STRIP_LIMIT} values a label gets a "
    "histogram there instead). Left out of every plot: "
    "both-empty rows and failed cases; left out of the distance plots: rows whose distance is infinite."
)
