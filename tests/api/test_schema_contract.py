"""The committed schema.graphql is the export of the code.

Whether it still covers the public contract is checked outside the suite (the contract's own
check_contract.py): a clone of this repository has nothing beside it to compare with.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_equals_the_export() -> None:
    exported = subprocess.run(
        [sys.executable, "-m", "docat.cli", "export-schema"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert (ROOT / "schema.graphql").read_text() == exported, "run: docat export-schema > schema.graphql"
