"""Vendor pinned front-end files from the npm registry; running and testing need no npm.

    .venv/bin/python scripts/vendor_static.py          # fetch the pinned versions, rewrite manifests
    .venv/bin/python scripts/vendor_static.py --check  # offline: files on disk match the manifests

Each tarball's sha512 (`dist.integrity`) is checked before anything is extracted; only the listed
files and the package's licence are kept. A package whose licence is not in ALLOWED_LICENCES is
refused. MANIFEST.json records per file: package, version, licence, sha256, tarball and integrity.
"""

import argparse
import base64
import hashlib
import io
import json
import shutil
import sys
import tarfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = "https://registry.npmjs.org"

# EUPL-1.2: NL Design System CSS and the example theme; 0BSD: htmx 2.x; MPL-2.0: axe-core (tests).
ALLOWED_LICENCES = frozenset({"EUPL-1.2", "0BSD", "BSD-2-Clause", "MPL-2.0"})
# Files in the tarball that may hold the licence text, first match wins.
LICENCE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "LICENCE.md")


@dataclass(frozen=True)
class Package:
    name: str
    version: str  # exact; never a range
    files: dict[str, str]  # path inside the tarball (after "package/") -> name under dest
    dest: str  # directory relative to the manifest's directory
    manifest: str  # manifest path relative to ROOT


STATIC_MANIFEST = "static/vendor/MANIFEST.json"
TESTS_MANIFEST = "tests/vendor/MANIFEST.json"

PACKAGES = (
    # The 2.x line on purpose: npm's "latest" is 4.x, a different API.
    Package("htmx.org", "2.0.11", {"dist/htmx.min.js": "htmx.min.js"}, "htmx", STATIC_MANIFEST),
    Package(
        "@utrecht/component-library-css",
        "9.0.4",
        {"dist/index.css": "index.css"},
        "component-library-css",
        STATIC_MANIFEST,
    ),
    # The NL Design System example theme, scoped to `.voorbeeld-theme`. Not @utrecht/design-tokens:
    # its licence reserves Utrecht's brand assets to the municipality.
    Package(
        "@nl-design-system-unstable/voorbeeld-design-tokens",
        "7.4.1",
        {"dist/theme.css": "theme.css"},
        "voorbeeld-design-tokens",
        STATIC_MANIFEST,
    ),
    # For the browser accessibility tests only; never served.
    # axe.min.js bundles third-party code; their notices come along.
    Package(
        "axe-core",
        "4.14.1",
        {"axe.min.js": "axe.min.js", "LICENSE-3RD-PARTY.txt": "LICENSE-3RD-PARTY.txt"},
        "axe-core",
        TESTS_MANIFEST,
    ),
)


class VendorError(Exception):
    pass


def short_name(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "buurtfonds-vendor-static"})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (https only)
        return response.read()


def verify_integrity(data: bytes, integrity: str) -> None:
    """Check an SRI string ("sha512-<base64>", maybe several, space separated)."""
    wanted = [part for part in integrity.split() if part.startswith("sha512-")]
    if not wanted:
        raise VendorError(f"no sha512 integrity to verify against: {integrity!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if not any(part.removeprefix("sha512-") == actual for part in wanted):
        raise VendorError(f"tarball sha512 {actual} does not match {integrity}")


def read_member(tar: tarfile.TarFile, path: str) -> bytes | None:
    try:
        member = tar.getmember(f"package/{path}")
    except KeyError:
        return None
    if not member.isfile():
        raise VendorError(f"{path} in the tarball is not a regular file")
    handle = tar.extractfile(member)
    assert handle is not None
    return handle.read()


def check_licence(package: Package, licence: object) -> str:
    if not isinstance(licence, str) or licence not in ALLOWED_LICENCES:
        raise VendorError(
            f"{package.name}@{package.version}: licence {licence!r} is not in {sorted(ALLOWED_LICENCES)}"
        )
    return licence


def fetch_package(
    package: Package, previous: dict[str, dict]
) -> tuple[dict[str, bytes], dict[str, dict]]:
    """Fetch and verify one package; return its files' contents and manifest entries."""
    url = f"{REGISTRY}/{urllib.parse.quote(package.name, safe='@')}/{package.version}"
    meta = json.loads(fetch(url))
    if meta.get("name") != package.name or meta.get("version") != package.version:
        raise VendorError(f"registry answered {meta.get('name')}@{meta.get('version')} for {url}")
    check_licence(package, meta.get("license"))
    tarball_url = meta["dist"]["tarball"]
    integrity = meta["dist"]["integrity"]
    # A published npm version is immutable: the same version with another checksum is suspect.
    for entry in previous.values():
        if (
            entry["package"] == package.name
            and entry["version"] == package.version
            and entry["integrity"] != integrity
        ):
            raise VendorError(f"{package.name}@{package.version}: integrity differs from manifest")
    data = fetch(tarball_url)
    verify_integrity(data, integrity)

    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        package_json = json.loads(read_member(tar, "package.json") or b"{}")
        if package_json.get("version") != package.version:
            raise VendorError(
                f"{package.name}: tarball holds version {package_json.get('version')}"
            )
        licence = check_licence(package, package_json.get("license"))
        wanted = dict(package.files)
        for name in LICENCE_NAMES:
            if read_member(tar, name) is not None:
                wanted[name] = name
                break
        contents = {}
        for inside, target in wanted.items():
            content = read_member(tar, inside)
            if content is None:
                names = sorted(m.name for m in tar.getmembers())
                raise VendorError(f"{package.name}: no {inside} in the tarball; it has {names}")
            contents[target] = content

    entries = {}
    for target, content in contents.items():
        entries[f"{package.dest}/{target}"] = {
            "package": package.name,
            "version": package.version,
            "licence": licence,
            "sha256": hashlib.sha256(content).hexdigest(),
            "tarball": tarball_url,
            "integrity": integrity,
        }
    return contents, entries


def write(package: Package, contents: dict[str, bytes]) -> None:
    dest = (ROOT / package.manifest).parent / package.dest
    if dest.exists():
        shutil.rmtree(dest)  # no stale files from an older version
    dest.mkdir(parents=True)
    for target, content in contents.items():
        (dest / target).write_bytes(content)
        print(f"{(dest / target).relative_to(ROOT)}: {package.name}@{package.version}")


def load_manifest(manifest: str) -> dict[str, dict]:
    path = ROOT / manifest
    if not path.exists():
        return {}
    return json.loads(path.read_text())["files"]


def vendor_all() -> None:
    """Fetch and verify everything first, so a refusal leaves the vendored files untouched."""
    manifests = sorted({package.manifest for package in PACKAGES})
    previous = {manifest: load_manifest(manifest) for manifest in manifests}
    fetched = [
        (package, *fetch_package(package, previous[package.manifest])) for package in PACKAGES
    ]
    for manifest in manifests:
        files: dict[str, dict] = {}
        for package, contents, entries in fetched:
            if package.manifest == manifest:
                write(package, contents)
                files.update(entries)
        document = {
            "generated_by": "scripts/vendor_static.py",
            "files": dict(sorted(files.items())),
        }
        (ROOT / manifest).write_text(json.dumps(document, indent=2) + "\n")


def check(manifests: tuple[str, ...] = (STATIC_MANIFEST, TESTS_MANIFEST)) -> list[str]:
    """Offline: every manifest entry is on disk with its sha256, nothing unlisted is vendored."""
    problems = []
    for manifest in manifests:
        manifest_path = ROOT / manifest
        if not manifest_path.exists():
            problems.append(f"{manifest}: missing")
            continue
        files = json.loads(manifest_path.read_text())["files"]
        base = manifest_path.parent
        for relative, entry in files.items():
            path = base / relative
            if not path.is_file():
                problems.append(f"{path.relative_to(ROOT)}: missing")
            elif sha256_of(path) != entry["sha256"]:
                problems.append(f"{path.relative_to(ROOT)}: sha256 differs from {manifest}")
            if entry["licence"] not in ALLOWED_LICENCES:
                problems.append(f"{path.relative_to(ROOT)}: licence {entry['licence']} not allowed")
        for path in sorted(base.rglob("*")):
            relative = path.relative_to(base).as_posix()
            if path.is_file() and path != manifest_path and relative not in files:
                problems.append(f"{path.relative_to(ROOT)}: not in {manifest}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare files with the manifests (no network)"
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        if not problems:
            print("vendored files match their manifests")
        return 1 if problems else 0
    try:
        vendor_all()
    except VendorError as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
