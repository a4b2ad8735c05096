"""Refresh graphql_api/web/static/vendor/ from the npm registry and check every file's integrity.

    python scripts/vendor_web_assets.py          # fetch (npm pack), verify, copy, write the manifest
    python scripts/vendor_web_assets.py --check  # verify the committed files against the manifest

For each package of PACKAGES, `npm pack name@version` downloads the registry tarball; its
sha512 must equal the `dist.integrity` the registry publishes (`npm view`), so a tampered
mirror or cache is refused. Only the listed files (plus the license) are copied, into
vendor/<name>@<version>/, and manifest.json records name, version, license, the tarball's
integrity and each copied file's sha256 (which `--check` and the tests compare).
Why vendoring and not a build step: graphql_api/web/README.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "graphql_api" / "web" / "static" / "vendor"
MANIFEST = VENDOR / "manifest.json"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    # Paths inside the tarball's package/ folder.
    files: tuple[str, ...]


# graphiql 3.8.3 bundles @graphiql/react 0.28.x, which the explorer 3.2.5 is built against
# (3.2.6 wants 0.29). react/react-dom 18: graphiql 3's UMD expects the React 18 globals.
PACKAGES = (
    Package("react", "18.3.1", ("umd/react.production.min.js",)),
    Package("react-dom", "18.3.1", ("umd/react-dom.production.min.js",)),
    Package("graphiql", "3.8.3", ("graphiql.min.js", "graphiql.min.css")),
    Package("@graphiql/plugin-explorer", "3.2.5", ("dist/index.umd.js", "dist/style.css")),
    Package("graphql-ws", "6.4.2", ("umd/graphql-ws.min.js",)),
)
LICENSE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "license")


def folder_name(package: Package) -> str:
    # "@graphiql/plugin-explorer" -> "graphiql-plugin-explorer@3.2.5": one flat folder per package.
    return f"{package.name.lstrip('@').replace('/', '-')}@{package.version}"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def npm(*args: str, cwd: Path) -> str:
    return subprocess.run(["npm", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def fetch(package: Package, workdir: Path) -> dict[str, object]:
    spec = f"{package.name}@{package.version}"
    view = json.loads(npm("view", spec, "dist.integrity", "license", "--json", cwd=workdir))
    integrity: str = view["dist.integrity"]
    tarball = workdir / npm("pack", spec, "--silent", cwd=workdir).strip().splitlines()[-1]
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if integrity != f"sha512-{digest}":
        raise SystemExit(f"{spec}: tarball sha512 does not match the registry's integrity {integrity}")
    target = VENDOR / folder_name(package)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    copied: dict[str, str] = {}
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
        # Some tarballs ship no license file (the explorer plugin): package.json names it then.
        licenses = [n for n in LICENSE_NAMES if f"package/{n}" in names][:1]
        for inner in [*package.files, *licenses, "package.json"]:
            member = archive.extractfile(f"package/{inner}")
            if member is None:
                raise SystemExit(f"{spec}: {inner} is not a file in the tarball")
            destination = target / Path(inner).name
            destination.write_bytes(member.read())
            copied[destination.name] = sha256_of(destination)
    return {
        "name": package.name,
        "version": package.version,
        "license": view["license"],
        "integrity": integrity,
        "tarball": f"https://registry.npmjs.org/{package.name}/-/{package.name.split('/')[-1]}-{package.version}.tgz",
        "folder": folder_name(package),
        "files": copied,
    }


def check() -> list[str]:
    """What differs between the committed files and the manifest (empty: all good)."""
    manifest = json.loads(MANIFEST.read_text())
    problems = []
    for entry in manifest["packages"]:
        for name, expected in entry["files"].items():
            path = VENDOR / entry["folder"] / name
            if not path.is_file():
                problems.append(f"missing {path}")
            elif sha256_of(path) != expected:
                problems.append(f"changed {path}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only verify the committed files")
    if parser.parse_args().check:
        problems = check()
        print("\n".join(problems) or "vendor files match manifest.json")
        return 1 if problems else 0
    VENDOR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        entries = [fetch(package, Path(tmp)) for package in PACKAGES]
    MANIFEST.write_text(json.dumps({"packages": entries}, indent=2) + "\n")
    print(f"vendored {len(entries)} packages into {VENDOR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
