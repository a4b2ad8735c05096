"""The committed schema.graphql is the export of the code, and it covers the contract."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_schema,
)

from graphql_api.schema import schema

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT.parent / "shared" / "contract" / "schema.graphql"


def contract_differences(have_sdl: str, want_sdl: str) -> list[str]:
    have, want = build_schema(have_sdl), build_schema(want_sdl)
    problems: list[str] = []
    for name, wanted in want.type_map.items():
        if name.startswith("__"):
            continue
        got = have.type_map.get(name)
        if got is None:
            problems.append(f"missing type {name}")
            continue
        if type(got) is not type(wanted):
            problems.append(f"{name} is a {type(got).__name__}, contract says {type(wanted).__name__}")
            continue
        if isinstance(wanted, GraphQLEnumType):
            problems += [f"missing {name}.{v}" for v in wanted.values if v not in got.values]  # type: ignore[attr-defined]
        if isinstance(wanted, GraphQLObjectType | GraphQLInterfaceType):
            names = {i.name for i in got.interfaces}  # type: ignore[union-attr]
            problems += [f"{name} must implement {i.name}" for i in wanted.interfaces if i.name not in names]
        if isinstance(wanted, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for fname, wfield in wanted.fields.items():
                hfield = got.fields.get(fname)  # type: ignore[union-attr]
                if hfield is None:
                    problems.append(f"missing field {name}.{fname}")
                    continue
                if str(hfield.type) != str(wfield.type):
                    problems.append(f"{name}.{fname}: {hfield.type}, contract says {wfield.type}")
                for aname, warg in getattr(wfield, "args", {}).items():
                    harg = hfield.args.get(aname)
                    if harg is None:
                        problems.append(f"missing argument {name}.{fname}({aname})")
                    elif str(harg.type) != str(warg.type):
                        problems.append(f"{name}.{fname}({aname}): {harg.type}, contract says {warg.type}")
    return problems


def test_schema_covers_the_contract() -> None:
    assert contract_differences(schema.as_str(), CONTRACT.read_text()) == []


def test_contract_check_detects_a_missing_field() -> None:
    # The field with its description (a description left behind would not parse).
    broken = re.sub(r'(  """[^"]*"""\n)?  sha256: String!\n', "", schema.as_str(), count=1)
    assert "missing field Document.sha256" in contract_differences(broken, CONTRACT.read_text())


def test_committed_schema_equals_the_export() -> None:
    exported = subprocess.run(
        [sys.executable, "-m", "docat.cli", "export-schema"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert (ROOT / "schema.graphql").read_text() == exported, "run: docat export-schema > schema.graphql"
