"""The HTML report's content: every section, the counts it states, thumbnails as embedded PNGs, nothing from
the network, and case names with markup characters shown as text."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser

import numpy as np
from PIL import Image

from napari_segreview.cli import main
from napari_segreview.dataset import WORST_CASES, read_rows, worst_cases
from napari_segreview.report import Folders, build_report_html
from napari_segreview.report.html_page import SECTIONS
from tests.dataset.cases import SHAPE, ground_truth, prediction
from tests.nifti_cases import AFFINES, write_nifti


class _Page(HTMLParser):
    """What a browser would see: the text, the elements' attributes, the open tags left at the end."""

    VOID = {"meta", "img", "br", "input", "link", "hr", "line", "circle", "rect", "path"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.elements: list[tuple[str, dict]] = []
        self.open: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)

    def ids(self) -> set[str]:
        return {attrs["id"] for _tag, attrs in self.elements if "id" in attrs}

    def images(self) -> list[str]:
        return [attrs["src"] for tag, attrs in self.elements if tag == "img"]


def external_references(html: str) -> list[str]:
    """Anything the page would fetch or link to outside itself (embedded data: URIs aside)."""
    html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    return re.findall(r"""(?:src|href|action|srcset)\s*=\s*["']?\s*(?!data:|#)[^"'\s>]+|url\(|@import|//[a-z]""",
                      html, flags=re.IGNORECASE)  # fmt: skip


def test_every_section_and_thumbnails_of_the_worst_cases(evaluated):
    report, gt_dir, pred_dir = evaluated
    html = build_report_html(report, Folders(gt=gt_dir, pred=pred_dir))
    page = _Page(html)
    assert page.open == []  # every element closed, in order
    assert set(SECTIONS) <= page.ids()
    assert {f"plot-{m}" for m in ("dice", "iou", "nsd", "hd", "hd95", "assd")} <= page.ids()
    assert external_references(html) == []
    images = page.images()
    assert len(images) == WORST_CASES
    for source in images:
        assert source.startswith("data:image/png;base64,")
        Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))).verify()
    text = "".join(page.text)
    rows = read_rows(report)
    for entry in worst_cases(rows):
        assert entry["case"] in text
    assert "case_03.nii.gz" in text and "case_07.nii.gz" in text  # the failed cases, with their messages
    assert "border convention" in text and "Never NaN" in text
    assert "segreview 0.1.0" in text


def test_plot_captions_say_what_was_left_out(evaluated):
    report, _gt, _pred = evaluated
    text = "".join(_Page(build_report_html(report)).text)
    # label 2 is missed in four cases (index % 6 == 5 plus the empty prediction): infinite distances
    assert "label 2: 15 shown, 5 left out (2 failed, 3 infinite)" in text
    assert "labels 1, 2: 18 shown, 2 left out (2 failed)" in text  # the Dice plot: same counts


def test_without_folders_there_are_no_thumbnails_and_a_sentence_says_why(evaluated):
    report, _gt, _pred = evaluated
    page = _Page(build_report_html(report))
    assert page.images() == []
    assert "No thumbnails: the report does not say where its files are" in "".join(page.text)


def test_case_names_with_markup_characters_are_text(tmp_path):
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    names = ["<img src=x onerror=alert(1)>.nii.gz", "a&b \"quoted\" 'single'.nii.gz"]
    for index, name in enumerate(names):
        write_nifti(gt_dir / name, ground_truth(index), AFFINES["RAS"])
        write_nifti(pred_dir / name, prediction(index + 1), AFFINES["RAS"])
    report = tmp_path / "report.json"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(report)]) == 0
    html = build_report_html(report, Folders(gt=gt_dir, pred=pred_dir))
    page = _Page(html)
    assert page.open == []
    assert [tag for tag, attrs in page.elements if tag == "img" and attrs["src"] == "x"] == []
    assert len(page.images()) == 2  # both thumbnails found by their odd names
    text = "".join(page.text)
    for name in names:
        assert name in text
    assert "<img src=x" not in html


def test_a_report_without_options_says_so(tmp_path, evaluated):
    report, _gt, _pred = evaluated
    csv_report = tmp_path / "old.csv"
    assert main(["evaluate", str(_gt), str(_pred), "--out", str(csv_report)]) == 1
    (tmp_path / "old.csv.options.json").unlink()  # as an older version left it
    text = "".join(_Page(build_report_html(csv_report)).text)
    assert "The report records no options" in text
    assert "does not record which convention" in text


def test_the_image_is_drawn_when_an_images_folder_is_given(evaluated, tmp_path):
    report, gt_dir, pred_dir = evaluated
    images = tmp_path / "images"
    images.mkdir()
    first = worst_cases(read_rows(report))[0]["case"].removesuffix(".nii.gz")
    bright = np.full(SHAPE, 1000.0, np.float32)
    bright[:, :, : SHAPE[2] // 2] = 0  # half dark, half bright
    write_nifti(images / f"{first}_0000.nii.gz", bright, AFFINES["RAS"])  # nnU-Net's image naming
    with_image = _Page(build_report_html(report, Folders(gt=gt_dir, pred=pred_dir, images=images))).images()
    without = _Page(build_report_html(report, Folders(gt=gt_dir, pred=pred_dir))).images()
    assert with_image[0] != without[0]
    assert with_image[1:] == without[1:]  # the other cases have no image: the GT in grey


def test_many_labels_widen_the_plots_and_share_their_captions(tmp_path):
    import json

    rows = [
        {"case": f"ct_{case}.nii.gz", "label": label, "dice": 0.5 + case / 10, "iou": 0.4, "hd": 3.0, "hd95": 2.0,
         "assd": 1.0, "nsd": 0.9, "gt_voxels": 10, "pred_voxels": 10, "status": "ok", "message": ""}
        for case in range(3) for label in range(1, 41)
    ]  # fmt: skip
    report = tmp_path / "many.json"
    report.write_text(json.dumps({"rows": rows, "summary": {}}))
    html = build_report_html(report)
    widths = [int(w) for w in re.findall(r'<svg class="plot" width="(\d+)"', html)]
    assert len(widths) == 6 and min(widths) >= 40 * 34  # a box every 34 pixels at least
    labels = ", ".join(map(str, range(1, 41)))
    assert f"labels {labels}: 3 shown." in "".join(_Page(html).text)


def test_a_case_that_cannot_be_drawn_gets_a_sentence_and_the_page_is_written(evaluated, monkeypatch):
    import napari_segreview.report.cases as cases

    report, gt_dir, pred_dir = evaluated
    real = cases.load_mask_pair
    first = worst_cases(read_rows(report))[0]["case"]

    def failing(gt_path, pred_path, **options):
        if gt_path.name == first:
            raise RuntimeError("a reader broke\nwith a second line")
        return real(gt_path, pred_path, **options)

    monkeypatch.setattr(cases, "load_mask_pair", failing)
    page = _Page(build_report_html(report, Folders(gt=gt_dir, pred=pred_dir)))
    assert len(page.images()) == WORST_CASES - 1
    assert "could not be drawn: RuntimeError: a reader broke." in "".join(page.text)
