"""napari adapters for the npe2 manifest: reader, writer and sample data. They turn core objects into layer
data tuples and back; all file logic lives in ``napari_segreview.io``."""
