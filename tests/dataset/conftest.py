"""A fresh twenty-case dataset per test (writing it takes a few milliseconds)."""

from __future__ import annotations

import pytest

from tests.dataset.cases import write_dataset


@pytest.fixture
def dataset(tmp_path):
    return write_dataset(tmp_path / "data")
