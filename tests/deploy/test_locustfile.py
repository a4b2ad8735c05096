"""deploy/locustfile.py compiles, and its generated PDF is a real PDF with its text."""

from __future__ import annotations

import importlib.util
import py_compile
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest

LOCUSTFILE = Path(__file__).resolve().parents[2] / "deploy" / "locustfile.py"


def test_compiles(tmp_path: Path) -> None:
    py_compile.compile(str(LOCUSTFILE), cfile=str(tmp_path / "locustfile.pyc"), doraise=True)


@pytest.fixture
def locustfile() -> Iterator[types.ModuleType]:
    """The module, imported with a stand-in `locust` when locust is not installed."""
    stub = None
    if importlib.util.find_spec("locust") is None:
        stub = types.ModuleType("locust")
        stub.HttpUser = type("HttpUser", (), {})  # type: ignore[attr-defined]
        stub.between = lambda low, high: None  # type: ignore[attr-defined]
        stub.task = lambda function: function  # type: ignore[attr-defined]
        sys.modules["locust"] = stub
    try:
        spec = importlib.util.spec_from_file_location("docat_locustfile", LOCUSTFILE)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        if stub is not None:
            del sys.modules["locust"]


def test_generated_pdf_opens_with_its_text(locustfile: types.ModuleType) -> None:
    data = locustfile.build_pdf(["PDF Docat load test", "Paren (test) and back\\slash"])
    with pymupdf.open(stream=data, filetype="pdf") as document:
        assert document.page_count == 1
        # A broken xref makes MuPDF repair the file; a clean one does not.
        assert not document.is_repaired
        text = document[0].get_text()
    assert "PDF Docat load test" in text
    assert "Paren (test) and back\\slash" in text


def test_graphql_documents_use_the_contract_fields(locustfile: types.ModuleType) -> None:
    assert "login(email: $email, password: $password) { accessToken }" in locustfile.LOGIN
    assert "uploadDocument(file: $file, options: $options) { id status }" in locustfile.UPLOAD
    assert "document(id: $id) { status progress }" in locustfile.STATUS
    assert "processingLogs(documentId: $documentId)" in locustfile.LOGS
