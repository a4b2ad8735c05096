"""bench/.venv-compare: the separate venv that holds the comparison tools.

pymupdf4llm 2.0 refuses to import next to any PyMuPDF but 2.0, and 2.0 loads
its layout model (onnxruntime) on import, so the tools live in their own venv
and `bench.compare_tools` runs there as a subprocess. Created on first use
from bench/requirements-compare.txt (or by hand, see README "Benchmarks").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venv-compare"
REQUIREMENTS = BENCH / "requirements-compare.txt"
PYTHON = VENV / "bin" / "python"


def ensure_venv() -> str | None:
    """Create and fill the venv if needed; returns why it is unusable, or None."""
    stamp = VENV / ".requirements"
    wanted = REQUIREMENTS.read_text()
    if PYTHON.exists() and stamp.exists() and stamp.read_text() == wanted:
        return None
    try:
        if not PYTHON.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True)
        subprocess.run(
            [str(PYTHON), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        err = getattr(exc, "stderr", b"") or b""
        return f"could not build {VENV.name}: {err.decode(errors='replace')[-300:] or exc}"
    stamp.write_text(wanted)
    return None


def run_tool(tool: str, path: Path, pages: int, budget: float, timeout: float = 300.0) -> dict[str, Any]:
    """One tool on the first pages of `path` in a fresh process (see compare_tools)."""
    spec = json.dumps({"tool": tool, "path": str(path), "pages": pages, "budget": budget})
    proc = subprocess.run(
        [str(PYTHON), str(BENCH / "compare_tools.py"), spec],
        capture_output=True,
        timeout=timeout,
        cwd=BENCH,  # not the repo root: nothing of the project must be importable there
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{tool} failed: {proc.stderr.decode(errors='replace')[-500:]}")
    # pymupdf4llm prints notices to stdout before our JSON: take the last line that parses.
    out = proc.stdout.decode()
    return json.loads(out[out.index('{"tool"') :])  # type: ignore[no-any-return]
