"""Class tables from nnU-Net's dataset.json and BIDS dseg.tsv; class-aware metrics with regions and ignore."""

import json

import numpy as np
import pytest

from napari_segreview.dataset.class_metrics import class_metrics
from napari_segreview.dataset.class_table import (
    class_table_from_dataset_json,
    find_class_table,
    read_dataset_json,
    read_dseg_tsv,
)
from napari_segreview.dataset.nnunet import nnunet_root, read_nnunet_dataset


def test_nnunet_v2_labels_regions_and_ignore():
    table = class_table_from_dataset_json(
        {
            "labels": {
                "background": 0,
                "edema": 1,
                "non-enhancing": 2,
                "enhancing": 3,
                "whole tumor": [1, 2, 3],
                "ignore": 4,
            }
        }
    )
    assert table.names == {1: "edema", 2: "non-enhancing", 3: "enhancing"}
    assert table.regions == {"whole tumor": (1, 2, 3)}
    assert table.ignore == 4


def test_nnunet_v1_labels_are_value_to_name():
    table = class_table_from_dataset_json({"labels": {"0": "background", "1": "liver", "2": "tumour"}})
    assert table.names == {1: "liver", 2: "tumour"}


@pytest.mark.parametrize(
    ("labels", "words"),
    [
        ({}, 'no "labels"'),
        ({"a": 1, "b": 1}, "twice"),
        ({"a": -1}, "negative"),
        ({"a": "x"}, "whole number"),
        ({"r": [0, 1]}, "foreground"),
        ({"ignore": 0}, "background"),
    ],
)
def test_bad_label_tables_are_one_sentence(labels, words):
    with pytest.raises(ValueError, match=words):
        class_table_from_dataset_json({"labels": labels})


def test_broken_json_names_the_file(tmp_path):
    (tmp_path / "dataset.json").write_text('{"labels": ')
    with pytest.raises(ValueError, match="dataset.json is not valid JSON"):
        read_dataset_json(tmp_path / "dataset.json")


def test_dseg_tsv(tmp_path):
    (tmp_path / "dseg.tsv").write_text(
        "index\tname\tabbreviation\n0\tbackground\tBG\n1\tgrey matter\tGM\n2\twhite matter\tWM\n"
    )
    assert read_dseg_tsv(tmp_path / "dseg.tsv").names == {1: "grey matter", 2: "white matter"}
    (tmp_path / "bad.tsv").write_text("value,label\n1,a\n")
    with pytest.raises(ValueError, match="index"):
        read_dseg_tsv(tmp_path / "bad.tsv")


def test_find_class_table_beside_labels_tr_and_up_to_the_bids_root(tmp_path):
    root = tmp_path / "Dataset001_Brain"
    (root / "labelsTr").mkdir(parents=True)
    (root / "imagesTr").mkdir()
    (root / "dataset.json").write_text(
        json.dumps(
            {"labels": {"background": 0, "wm": 1}, "file_ending": ".nii.gz", "channel_names": {"0": "T1", "1": "FLAIR"}}
        )
    )
    assert find_class_table(root / "labelsTr").names == {1: "wm"}
    assert nnunet_root(root / "labelsTr") == root and nnunet_root(root) == root
    assert nnunet_root(tmp_path) is None
    dataset = read_nnunet_dataset(root)
    for name in ("case1_0001.nii.gz", "case1_0000.nii.gz", "case10_0000.nii.gz", "case1.nii.gz"):
        (root / "imagesTr" / name).touch()
    assert [p.name for p in dataset.channel_files("case1")] == ["case1_0000.nii.gz", "case1_0001.nii.gz"]
    assert dataset.channel_names == {0: "T1", 1: "FLAIR"}

    bids = tmp_path / "derivatives" / "seg"
    (bids / "sub-01" / "anat").mkdir(parents=True)
    (bids / "dataset_description.json").write_text("{}")
    (bids / "dseg.tsv").write_text("index\tname\n1\tcsf\n")
    assert find_class_table(bids / "sub-01" / "anat").names == {1: "csf"}
    assert find_class_table(tmp_path / "derivatives") is None


def test_regions_are_unions_and_the_ignore_label_counts_nowhere():
    # 1D-like 2D maps, hand-counted: GT labels 1,2 and an ignored strip (3); the prediction paints into the strip
    gt = np.array([[1, 1, 2, 2, 3, 3, 0, 0]])
    pred = np.array([[1, 2, 2, 0, 1, 2, 0, 1]])
    classes = class_table_from_dataset_json({"labels": {"background": 0, "a": 1, "b": 2, "ab": [1, 2], "ignore": 3}})
    rows = {row["class"]: row for row in class_metrics(gt, pred, classes)}
    assert set(rows) == {"a", "b", "ab"}
    # label 1: GT {0,1}, prediction {0, 7} (4 is ignored) -> TP 1, FP 1, FN 1: Dice 2/4
    assert rows["a"]["dice"] == pytest.approx(0.5)
    assert rows["a"]["pred_voxels"] == 2
    # label 2: GT {2,3}, prediction {1,2} (5 ignored) -> Dice 2/4
    assert rows["b"]["dice"] == pytest.approx(0.5)
    # region 1+2: GT {0..3}, prediction {0,1,2,7} -> TP 3, FP 1, FN 1: Dice 6/8
    assert rows["ab"]["dice"] == pytest.approx(0.75)
    assert rows["ab"]["label"] is None
    assert gt[0, 4] == 3 and pred[0, 4] == 1  # the caller's arrays are untouched
