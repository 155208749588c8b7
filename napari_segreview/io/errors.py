"""Errors the io layer raises, each carrying one sentence meant for the user."""


class ImageReadError(ValueError):
    """A file could not be read as an image or segmentation; the message names the file and the reason."""


class ObliqueAffineWarning(UserWarning):
    """The file's affine is oblique; the volume is displayed de-obliqued while its true affine is kept."""


class LossyMaskWarning(UserWarning):
    """A picture that looks like a mask is stored lossily (JPEG); it is opened as an image, not as labels."""
