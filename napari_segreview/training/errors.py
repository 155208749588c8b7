"""Errors of the training package; each message is one sentence for the user."""


class TrainingDataError(ValueError):
    """The training data cannot be used: missing, unreadable, unpaired or inconsistent files (named)."""


class TrainingError(ValueError):
    """The training options or the resume file do not fit the run."""
