"""The review computations behind the "Segmentation review" dock, free of Qt and napari: metrics for the
table and plot, the TP/FP/FN overlay, distance heatmaps and the surface heatmap, slice navigation."""
