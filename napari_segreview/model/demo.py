"""The bundled demo model: a small U-Net trained by ``scripts/train_demo_model.py`` on the MNI152 sample
(grey/white matter); ``data/demo_model/NOTICE.txt`` says how, and how well."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DEMO_MODEL = "demo"


def demo_model_path() -> Path:
    """Path of the bundled demo checkpoint."""
    return Path(str(resources.files("napari_segreview") / "data" / "demo_model" / "unet_mni_tissue.pt"))
