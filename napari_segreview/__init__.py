"""Review medical image segmentations in napari.

The package splits into a pure core (``metrics``, ``io``, ``model``) that never imports Qt or napari, and thin
napari adapters (``plugin``, later ``widgets``). Importing this top-level package stays cheap: npe2 imports it to
find ``napari.yaml``.
"""

__version__ = "0.1.0"
