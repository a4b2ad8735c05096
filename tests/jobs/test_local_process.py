"""`docat process`: the same pipeline on a local file, no server; bad files exit non-zero with the code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from docat.errors import DocatError
from docat.settings import Settings, load_settings
from jobs.local_process import process_file
from jobs.pdf.errors import PdfError
from jobs.pdf.options import ExtractOptions
from jobs.pdf.pipeline import run_pipeline
from tests.fixtures.corpus import ENCRYPTED_PDF
from tests.fixtures.fake_llm import FakeLLM
from tests.jobs import pdfs

ENCRYPTED = ENCRYPTED_PDF
ROOT = Path(__file__).resolve().parents[2]
CLI_WAIT = 120


@pytest.fixture
def local_settings(tmp_path: Path) -> Settings:
    return load_settings(
        data_dir=tmp_path, database_url=None, redis_url=None, openrouter_api_key=None, gemini_api_key=None
    )


def test_json_is_extracted_content_as_graphql_returns_it(tmp_path: Path, local_settings: Settings) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdfs.text(3))
    out = json.loads(process_file(path, output_format="json", settings=local_settings))
    expected = run_pipeline(path, ExtractOptions()).to_dict()
    expected["metadata"]["extractionMs"] = out["metadata"]["extractionMs"]
    assert out == expected
    assert set(out) == {"title", "pageCount", "blocks", "metadata"}
    assert set(out["blocks"][0]) == {"page", "type", "level", "text", "translatedText", "bbox", "table"}


def test_markdown_text_pages_and_a_long_file_through_the_pool(
    tmp_path: Path, local_settings: Settings
) -> None:
    path = tmp_path / "long.pdf"
    path.write_bytes(pdfs.text(20))  # past POOL_MIN_PAGES: split across processes
    whole = json.loads(process_file(path, output_format="json", settings=local_settings))
    assert whole["pageCount"] == 20 and {b["page"] for b in whole["blocks"]} == set(range(1, 21))
    some = process_file(path, output_format="text", pages="2-3", settings=local_settings)
    markdown = process_file(path, output_format="markdown", pages="2", settings=local_settings)
    page2 = " ".join(b["text"] for b in whole["blocks"] if b["page"] == 2 and b["type"] == "PARAGRAPH")
    assert page2.split()[0] in some and page2.split()[0] in markdown


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"output_format": "json", "pages": "3-1"}, "BAD_USER_INPUT"),
        ({"output_format": "json", "engine": "MAGIC"}, "BAD_USER_INPUT"),
        ({"output_format": "json", "translate_to": "de"}, "PROVIDER_NOT_CONFIGURED"),
        ({"output_format": "json", "engine": "LLM_OCR"}, "PROVIDER_NOT_CONFIGURED"),
    ],
)
def test_bad_options(tmp_path: Path, local_settings: Settings, kwargs: dict[str, str], code: str) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(pdfs.text(1))
    with pytest.raises((DocatError, PdfError)) as raised:
        process_file(path, settings=local_settings, **kwargs)
    assert raised.value.code == code


def test_llm_ocr_and_translation_with_environment_keys(tmp_path: Path, fake_llm: FakeLLM) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        database_url=None,
        redis_url=None,
        openrouter_api_key="env-key",
        openrouter_base_url=fake_llm.base_url,
        gemini_api_key=None,
    )
    path = tmp_path / "scan.pdf"
    path.write_bytes(pdfs.scanned(1))
    fake_llm.ocr_mode("# Findings\n\nThe harvest was early.")
    ocr = json.loads(process_file(path, output_format="json", engine="LLM_OCR", settings=settings))
    assert [b["text"] for b in ocr["blocks"]] == ["Findings", "The harvest was early."]
    assert ocr["metadata"]["ocrPages"] == [1]

    text = tmp_path / "text.pdf"
    text.write_bytes(pdfs.text(1))
    fake_llm.translate_mode()
    translated = process_file(text, output_format="markdown", translate_to="de", settings=settings)
    assert "[de] " in translated


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({"DATA_DIR": str(cwd / "data"), "PYTHONPATH": str(ROOT)})
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "docat.cli", "process", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_WAIT,
        check=False,
    )


def test_the_cli_prints_results_and_exits_non_zero_with_the_code(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"this is not a PDF")
    bad = cli(str(garbage), cwd=tmp_path)
    assert bad.returncode != 0 and bad.stderr.startswith("INVALID_PDF: ") and bad.stdout == ""

    locked = cli(str(ENCRYPTED), "--format", "json", cwd=tmp_path)
    assert locked.returncode != 0 and locked.stderr.startswith("ENCRYPTED_PDF: ")

    unlocked = cli(str(ENCRYPTED), "--format", "json", "--password", "openpassword", cwd=tmp_path)
    assert unlocked.returncode == 0, unlocked.stderr
    assert json.loads(unlocked.stdout)["pageCount"] >= 1

    out = tmp_path / "out.md"
    written = cli(str(ENCRYPTED), "--password", "openpassword", "-o", str(out), cwd=tmp_path)
    assert written.returncode == 0 and out.read_text().strip()


def test_json_alone_on_stdout_for_files_mupdf_repairs_or_partly_reads(tmp_path: Path) -> None:
    """MuPDF's messages go to logging (stderr here), never stdout: a repaired xref,
    a file without a %PDF header, and a page-tree cycle at page 2 (that page skipped)."""
    from tests.pdf import generate

    cases = {
        "broken-xref.pdf": [generate.broken_xref_pdf],
        "headerless.pdf": [generate.headerless_pdf],
        "cycle.pdf": [generate.page_tree_cycle_pdf],
    }
    texts: dict[str, list[str]] = {}
    for name, (make,) in cases.items():
        made = make(tmp_path / name)
        texts[name] = made if isinstance(made, list) else [made]
    for name, expected in texts.items():
        run = cli(str(tmp_path / name), "--format", "json", cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        content = json.loads(run.stdout)  # nothing but JSON on stdout
        got = [b["text"] for b in content["blocks"]]
        if name == "cycle.pdf":
            assert got == [expected[0], expected[2]] and content["pageCount"] == 3
            assert "page 2 skipped" in run.stderr
        else:
            assert got == expected
        assert "MuPDF" not in run.stdout and "MuPDF: " in run.stderr


def test_skipped_pages_and_mupdf_messages_are_warnings_on_the_result(tmp_path: Path) -> None:
    from tests.pdf import generate

    path = tmp_path / "cycle.pdf"
    generate.page_tree_cycle_pdf(path)
    content = run_pipeline(path, ExtractOptions(engine="TEXT"))
    assert [b.page for b in content.blocks] == [1, 3]
    assert any(w.startswith("page 2: page skipped, unreadable") for w in content.warnings)
    assert "warnings" not in content.to_dict()  # internal: the contract's JSON is unchanged
