"""Training the U-Net: datasets of 2D images or NIfTI volumes, augmentation, and the training loop.

Torch, no Qt, no napari. The loop is a generator (like ``model.inference.run_inference``): it yields progress
after every batch and every epoch and returns a summary, so the CLI draws it and a widget can wrap it::

    from napari_segreview.training import TrainingOptions, load_training_data, train
    data = load_training_data("isic/")                       # images/ + masks/, or NIfTI pairs
    result = yield from train(data, "model.pt", TrainingOptions(epochs=20))
"""

from .datasets import Case, TrainingData, load_folder_2d, load_nifti_pairs, load_training_data
from .errors import TrainingDataError, TrainingError
from .loop import EpochResult, StepProgress, TrainingOptions, TrainingResult, resume_path, run_training, train

__all__ = [
    "Case",
    "EpochResult",
    "StepProgress",
    "TrainingData",
    "TrainingDataError",
    "TrainingError",
    "TrainingOptions",
    "TrainingResult",
    "load_folder_2d",
    "load_nifti_pairs",
    "load_training_data",
    "resume_path",
    "run_training",
    "train",
]
