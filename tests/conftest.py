"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
VECTORS_DIR = Path(os.environ.get("SOLR_VECTORS_DIR", PROJECT_DIR.parent / "shared" / "vectors"))


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The DCC conformance data in ../shared/vectors. Missing data fails the test under CI."""
    if not (VECTORS_DIR / "README.md").exists():
        message = f"conformance vectors not found at {VECTORS_DIR} (set SOLR_VECTORS_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return VECTORS_DIR
