"""ModelConfig: round trips through checkpoints and JSON, one-sentence errors for bad fields."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from napari_segreview.model import ModelConfig, ModelConfigError


def test_round_trip_through_json_restores_integer_class_labels():
    config = ModelConfig(
        in_channels=3,
        classes=3,
        width=16,
        depth=3,
        bilinear=False,
        normalisation={"kind": "fixed", "mean": [120.0, 110, 100], "std": 50, "clip": [0, 255]},
        class_names={1: "lesion", 2: "border"},
        slice_axis=2,
        input_size=(96, 128),
    )
    restored = ModelConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert restored == config
    assert restored.class_names == {1: "lesion", 2: "border"}
    assert restored.normalisation["std"] == [50.0, 50.0, 50.0]  # one value applies to every channel


def test_label_names_fill_in_unnamed_classes():
    assert ModelConfig(classes=3, class_names={2: "white matter"}).label_names() == {1: "class 1", 2: "white matter"}
    assert ModelConfig(classes=1).label_names() == {1: "class 1"}  # one sigmoid output: label 1


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"in_channels": 2}, "in_channels must be 1 (grey) or 3 (RGB), not 2."),
        ({"in_channels": True}, "in_channels must be 1 (grey) or 3 (RGB)"),
        ({"classes": 0}, "classes must be a positive whole number"),
        ({"depth": 9}, "depth must be a whole number from 1 to 8"),
        ({"slice_axis": 3}, "slice_axis must be 0, 1 or 2"),
        ({"normalisation": {"kind": "robust"}}, "normalisation must be a mapping with kind one of zscore"),
        ({"normalisation": {"kind": "fixed", "mean": 1}}, "normalisation of kind fixed needs std."),
        ({"normalisation": {"kind": "zscore", "mean": 1}}, "has unexpected key(s) mean."),
        ({"normalisation": {"kind": "fixed", "mean": 0, "std": 0}}, "normalisation std must be positive."),
        ({"normalisation": {"kind": "zscore", "clip": [5, 1]}}, "clip must be [low, high] with low < high"),
        ({"in_channels": 3, "normalisation": {"kind": "fixed", "mean": [1, 2], "std": 1}}, "one number or 3"),
        ({"class_names": {3: "extra"}}, "class_names must map labels 0 to 1 to names"),
        ({"input_size": (0, 64)}, "input_size must be two positive whole numbers"),
    ],
)
def test_invalid_fields_raise_one_sentence(fields, message):
    with pytest.raises(ModelConfigError) as raised:
        ModelConfig(**{"classes": 2, **fields})
    assert message in str(raised.value)
    assert str(raised.value).count(". ") == 0 and str(raised.value).endswith(".")


def test_unknown_fields_are_refused_rather_than_ignored():
    with pytest.raises(ModelConfigError, match="unknown field"):
        ModelConfig.from_dict({"classes": 2, "intensity_window": [0, 80]})


def test_reading_a_config_does_not_import_torch():
    code = "import sys, napari_segreview.model as m; m.ModelConfig(); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
