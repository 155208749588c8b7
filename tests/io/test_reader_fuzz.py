"""Fuzzing the readers (NIfTI, NumPy, pictures, DICOM) with corrupted bytes and header fields: every file either
reads into a sound Volume or is refused with our one-sentence ImageReadError; nothing else escapes (no other
exception, no third-party warning), and nothing hangs.

Bounded and derandomised so that the suite stays fast and repeatable; set SEGREVIEW_FUZZ_EXAMPLES (e.g. 2000) and
SEGREVIEW_FUZZ_RANDOM=1 to search longer and afresh.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
import os
import signal
import tempfile
import warnings
from pathlib import Path

import nibabel as nib
import numpy as np
import tifffile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from skimage.io import imsave

from napari_segreview.io import ImageReadError, LossyMaskWarning, ObliqueAffineWarning, Volume, read_volume
from napari_segreview.io.masks import load_mask_pair
from napari_segreview.plugin.layers import volume_to_layer
from tests.dicom_cases import write_series
from tests.nifti_cases import AFFINES, write_nifti

EXAMPLES = int(os.environ.get("SEGREVIEW_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # a slow example is caught by the alarm below, a hang would not be by a deadline
    derandomize=not os.environ.get("SEGREVIEW_FUZZ_RANDOM"),
    database=None,  # nothing written into the shared tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SECONDS_PER_FILE = 10
OUR_WARNINGS = (ObliqueAffineWarning, LossyMaskWarning)


class ReadHung(Exception):
    pass


@contextlib.contextmanager
def _alarm(seconds: float):
    def ring(_signum, _frame):
        raise ReadHung(f"reading took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _assert_sound(volume: Volume) -> None:
    spatial = len(volume.scale)
    assert spatial in (2, 3) and len(volume.translate) == spatial
    assert volume.data.ndim in (spatial, spatial + 1)
    assert all(np.isfinite(volume.scale)) and all(s > 0 for s in volume.scale), volume.scale
    assert all(np.isfinite(volume.translate)), volume.translate
    volume_to_layer(volume)  # what the napari reader hands napari


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextlib.contextmanager
def _log_records():
    """Log records of WARNING and above from any library, which would reach the user's console."""
    handler, root = _Records(), logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)


def _reads_or_refuses(read, path: Path, *names: str) -> None:
    """``read(path)`` returns a sound result or raises ImageReadError with one sentence naming one of ``names``
    (the file, or for a DICOM folder the folder or one of its files); no other
    warning than ours and no library log message on the way."""
    with warnings.catch_warnings(record=True) as caught, _log_records() as logged, _alarm(SECONDS_PER_FILE):
        warnings.simplefilter("always")
        try:
            result = read(path)
        except ImageReadError as error:
            message = str(error)
            assert any(name in message for name in names), message
            assert "\n" not in message and message.endswith("."), message
            assert "Traceback" not in message
            result = None
    stray = [f"{w.category.__name__}: {w.message}" for w in caught if not issubclass(w.category, OUR_WARNINGS)]
    assert not stray, stray
    assert not logged, [f"{record.name}: {record.getMessage()}" for record in logged]
    if isinstance(result, Volume):
        _assert_sound(result)


def _every_reader(path: Path) -> None:
    _reads_or_refuses(read_volume, path, path.name)
    _reads_or_refuses(lambda p: load_mask_pair(p, p), path, path.name)


def _mutated(seed: bytes, changes: list[tuple[int, int]], cut: int | None) -> bytes:
    data = bytearray(seed)
    for offset, value in changes:
        data[offset % len(data)] = value
    return bytes(data[:cut] if cut is not None else data)


# byte changes: mostly in the first bytes (headers), some anywhere
CHANGES = st.lists(
    st.tuples(st.one_of(st.integers(0, 400), st.integers(0, 1 << 20)), st.integers(0, 255)), min_size=1, max_size=6
)
CUT = st.one_of(st.none(), st.none(), st.integers(0, 2000))


def _nifti_seed() -> bytes:
    labels = np.zeros((6, 5, 4), np.uint8)
    labels[1:4, 1:3, 1:3] = 1
    with tempfile.TemporaryDirectory() as folder:
        return write_nifti(Path(folder) / "seed.nii", labels, AFFINES["LPS"]).read_bytes()


NIFTI_SEED = _nifti_seed()
HEADER = nib.Nifti1Header()
NUMERIC_FIELDS = [name for name, (dtype, _) in HEADER.structarr.dtype.fields.items() if dtype.base.kind in "iuf"]


def _write_in(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@FUZZ
@given(changes=CHANGES, cut=CUT, compressed=st.booleans())
def test_nifti_with_corrupted_bytes(changes, cut, compressed):
    data = _mutated(NIFTI_SEED, changes, cut)
    with tempfile.TemporaryDirectory() as folder:
        name = "case.nii.gz" if compressed else "case.nii"
        _every_reader(_write_in(Path(folder), name, gzip.compress(data) if compressed else data))


@st.composite
def _header_field(draw):
    name = draw(st.sampled_from(NUMERIC_FIELDS))
    dtype, offset = HEADER.structarr.dtype.fields[name]
    index = draw(st.integers(0, int(np.prod(dtype.shape or (1,))) - 1))
    base = dtype.base
    if base.kind == "f":
        value = draw(st.one_of(st.floats(width=32), st.sampled_from([0.0, -1.0, 1e-30, 1e30, 3.4e38])))
    else:
        info = np.iinfo(base)
        special = [v for v in (0, -1, 1, 2, 7, 8, int(info.max)) if info.min <= v <= info.max]
        value = draw(st.one_of(st.integers(int(info.min), int(info.max)), st.sampled_from(special)))
    return offset + index * base.itemsize, np.array(value, dtype=base).tobytes()


@FUZZ
@given(fields=st.lists(_header_field(), min_size=1, max_size=4), compressed=st.booleans())
def test_nifti_with_corrupted_header_fields(fields, compressed):
    data = bytearray(NIFTI_SEED)
    for offset, packed in fields:
        data[offset : offset + len(packed)] = packed
    data = bytes(data)
    with tempfile.TemporaryDirectory() as folder:
        name = "case.nii.gz" if compressed else "case.nii"
        _every_reader(_write_in(Path(folder), name, gzip.compress(data) if compressed else data))


@FUZZ
@given(changes=CHANGES, cut=CUT)
def test_gzip_stream_with_corrupted_bytes(changes, cut):
    data = _mutated(gzip.compress(NIFTI_SEED), changes, cut)
    with tempfile.TemporaryDirectory() as folder:
        _every_reader(_write_in(Path(folder), "case.nii.gz", data))


def _npy_seed() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.arange(30, dtype=np.uint16).reshape(6, 5) % 3)
    return buffer.getvalue()


NPY_SEED = _npy_seed()


@FUZZ
@given(changes=CHANGES, cut=CUT)
def test_npy_with_corrupted_bytes(changes, cut):
    with tempfile.TemporaryDirectory() as folder:
        _every_reader(_write_in(Path(folder), "case.npy", _mutated(NPY_SEED, changes, cut)))


@FUZZ
@given(
    descr=st.sampled_from(["<u1", "<f8", "|b1", "<c16", "|O", "<U3", "|V4", "[('a', '<i4')]", "<i4", "xyz", "1"]),
    shape=st.sampled_from(["()", "(0,)", "(6, 5)", "(0, 5)", "(6, 5, 3)", "(2, 2, 2, 2)", "(-1, 5)", "(99999, 99999)"]),
    fortran=st.sampled_from(["False", "True", "0"]),
)
def test_npy_with_odd_header_values(descr, shape, fortran):
    text = f"{{'descr': {descr!r}, 'fortran_order': {fortran}, 'shape': {shape}, }}"
    header = text.ljust(117) + "\n"
    data = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + bytes(240)
    with tempfile.TemporaryDirectory() as folder:
        _every_reader(_write_in(Path(folder), "case.npy", data))


def _picture_seeds() -> dict[str, bytes]:
    mask = np.zeros((12, 10), np.uint8)
    mask[3:8, 2:6] = 255
    photo = np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    seeds = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, pixels in (("mask.png", mask), ("photo.png", photo), ("mask.bmp", mask), ("photo.jpg", photo)):
            imsave(Path(folder) / name, pixels, check_contrast=False)
            seeds[name] = (Path(folder) / name).read_bytes()
        tifffile.imwrite(Path(folder) / "mask.tif", mask.astype(np.uint16) * 257)
        seeds["mask.tif"] = (Path(folder) / "mask.tif").read_bytes()
    return seeds


PICTURE_SEEDS = _picture_seeds()


@FUZZ
@given(name=st.sampled_from(sorted(PICTURE_SEEDS)), changes=CHANGES, cut=CUT)
def test_pictures_with_corrupted_bytes(name, changes, cut):
    with tempfile.TemporaryDirectory() as folder:
        _every_reader(_write_in(Path(folder), name, _mutated(PICTURE_SEEDS[name], changes, cut)))


def _dicom_seeds() -> list[bytes]:
    pixels = [np.random.default_rng(k).integers(0, 3000, (6, 5)).astype(np.int16) for k in range(3)]
    with tempfile.TemporaryDirectory() as folder:
        paths = write_series(
            Path(folder) / "series",
            pixels,
            first_position=(-10.0, -20.0, -30.0),
            step=(0.0, 0.0, 2.5),
            orientation=(1, 0, 0, 0, 1, 0),
            pixel_spacing=(0.7, 0.5),
        )
        return [path.read_bytes() for path in paths]


@FUZZ
@given(which=st.integers(0, 2), changes=CHANGES, cut=CUT)
def test_dicom_folder_with_a_corrupted_slice(which, changes, cut):
    seeds = DICOM_SEEDS
    with tempfile.TemporaryDirectory() as folder:
        series = Path(folder) / "series"
        series.mkdir()
        for index, seed in enumerate(seeds):
            data = _mutated(seed, [(132 + offset, value) for offset, value in changes], cut) if index == which else seed
            _write_in(series, f"IM{index:04d}", data)
        _reads_or_refuses(read_volume, series, "series", *(f"IM{index:04d}" for index in range(len(seeds))))


DICOM_SEEDS = _dicom_seeds()
