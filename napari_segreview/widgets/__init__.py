"""napari docks: thin Qt wiring between layers and the pure core (review, model)."""
