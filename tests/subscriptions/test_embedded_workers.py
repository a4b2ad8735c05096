"""Embedded mode keeps events in one process, so `docat serve --workers 2` without Redis refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_serve_refuses_several_workers_without_redis(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "S3_BUCKET")}
    env["DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-m", "docat.cli", "serve", "--workers", "2", "--port", "1"],
        cwd=tmp_path,  # no .env here
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--workers > 1 needs REDIS_URL" in result.stderr
    assert "one process" in result.stderr  # and says why
