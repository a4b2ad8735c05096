"""Generated PDFs (see generate.py), built once per test session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.pdf import generate


@dataclass
class Generated:
    path: Path
    expected: Any


@pytest.fixture(scope="session")
def pdf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pdfs")


@pytest.fixture(scope="session")
def report(pdf_dir: Path) -> Generated:
    path = pdf_dir / "report.pdf"
    return Generated(path, generate.report_pdf(path))


@pytest.fixture(scope="session")
def two_column(pdf_dir: Path) -> Generated:
    path = pdf_dir / "two-column.pdf"
    return Generated(path, generate.two_column_pdf(path))


@pytest.fixture(scope="session")
def scanned(pdf_dir: Path) -> Generated:
    path = pdf_dir / "scanned.pdf"
    return Generated(path, generate.scanned_pdf(path))


@pytest.fixture(scope="session")
def mixed(pdf_dir: Path) -> Generated:
    path = pdf_dir / "mixed.pdf"
    return Generated(path, generate.mixed_pdf(path))


@pytest.fixture(scope="session")
def scanned_report(pdf_dir: Path) -> Generated:
    path = pdf_dir / "scanned-report.pdf"
    return Generated(path, generate.scanned_report_pdf(path, dpi=150))


@pytest.fixture(scope="session")
def mixed_report(pdf_dir: Path) -> Generated:
    path = pdf_dir / "mixed-report.pdf"
    return Generated(path, generate.mixed_report_pdf(path))


@pytest.fixture(scope="session")
def long_doc(pdf_dir: Path) -> Generated:
    path = pdf_dir / "long.pdf"
    return Generated(path, generate.long_pdf(path, 30))
