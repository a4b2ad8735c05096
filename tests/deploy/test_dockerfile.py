"""The Dockerfile copies every package the distribution installs, and runs as the brief says.

No Docker engine here: these read the Dockerfile against pyproject.toml and
.dockerignore, so adding a package or ignoring a needed path fails a test
instead of a release build.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(keyword: str) -> list[str]:
    # Joins continuation lines; returns the argument text of each instruction.
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    return [
        line.split(None, 1)[1]
        for line in text.splitlines()
        if line.strip() and line.split(None, 1)[0] == keyword
    ]


def copied_sources() -> list[str]:
    sources = []
    for args in instructions("COPY"):
        if args.startswith("--from"):
            continue
        sources.extend(args.split()[:-1])
    return sources


def test_every_installed_package_is_copied() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    tops = {pattern.rstrip("*").rstrip(".") for pattern in patterns}
    assert tops <= set(copied_sources())


def test_dockerignore_keeps_what_is_copied() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#") and not line.startswith("!")
    ]
    for source in copied_sources():
        for pattern in ignored:
            assert not fnmatch.fnmatch(source, pattern), f"{source} is excluded by {pattern}"


def test_runtime_stage_is_slim_non_root_with_tesseract() -> None:
    stages = instructions("FROM")
    assert len(stages) == 2 and stages[0].endswith("AS builder")
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in DOCKERFILE
    runtime = DOCKERFILE.split("AS builder", 1)[1]
    for package in ("tesseract-ocr", "tesseract-ocr-eng", "tesseract-ocr-deu"):
        assert re.search(rf"\b{package}\b", runtime), package
    users = instructions("USER")
    assert users and users[-1] not in ("root", "0")
    assert "COPY --from=builder /opt/venv /opt/venv" in runtime


def test_entrypoint_cmd_and_healthcheck() -> None:
    assert json.loads(instructions("ENTRYPOINT")[-1]) == ["docat"]
    assert json.loads(instructions("CMD")[-1]) == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    (healthcheck,) = instructions("HEALTHCHECK")
    command = json.loads(healthcheck.split("CMD", 1)[1])
    assert command[:2] == ["python", "-c"]
    ast.parse(command[2])
    assert "/health" in command[2]
