"""Vendored front-end files match their manifests, keep allowed licences, and load no web fonts.

Offline: the manifests were written by scripts/vendor_static.py; nothing here needs npm or network.
"""

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ("static/vendor/MANIFEST.json", "tests/vendor/MANIFEST.json")

spec = importlib.util.spec_from_file_location(
    "vendor_static", ROOT / "scripts" / "vendor_static.py"
)
assert spec and spec.loader
vendor_static = importlib.util.module_from_spec(spec)
spec.loader.exec_module(vendor_static)


def entries() -> list[tuple[Path, dict]]:
    found = []
    for manifest in MANIFESTS:
        path = ROOT / manifest
        for relative, entry in json.loads(path.read_text())["files"].items():
            found.append((path.parent / relative, entry))
    return found


def test_check_finds_no_difference():
    assert vendor_static.check() == []


def test_every_manifest_entry_is_on_disk_with_its_sha256():
    assert entries()
    for path, entry in entries():
        assert path.is_file(), path
        assert vendor_static.sha256_of(path) == entry["sha256"], path


def test_manifests_list_every_pinned_package_at_its_pinned_version():
    vendored = {(entry["package"], entry["version"]) for _, entry in entries()}
    assert vendored == {(p.name, p.version) for p in vendor_static.PACKAGES}


def test_htmx_is_on_the_2x_line():
    versions = {entry["version"] for _, entry in entries() if entry["package"] == "htmx.org"}
    assert versions and all(version.startswith("2.") for version in versions)


def test_no_licence_outside_the_allow_list():
    allowed = {"EUPL-1.2", "0BSD", "BSD-2-Clause", "MPL-2.0"}
    assert allowed >= vendor_static.ALLOWED_LICENCES
    assert {entry["licence"] for _, entry in entries()} <= allowed


def test_utrecht_design_tokens_are_not_vendored():
    """Utrecht's own tokens reserve the municipality's brand assets; we use the example theme."""
    assert all(entry["package"] != "@utrecht/design-tokens" for _, entry in entries())


WEB_FONT = re.compile(r"@font-face|url\([^)]*\.(woff2?|ttf|otf|eot)\b", re.IGNORECASE)


def test_no_css_loads_a_web_font():
    css = sorted((ROOT / "static").rglob("*.css"))
    assert css
    for path in css:
        assert not WEB_FONT.search(path.read_text()), f"{path} loads a web font"


def test_a_package_with_another_licence_is_refused():
    package = vendor_static.PACKAGES[0]
    with pytest.raises(vendor_static.VendorError):
        vendor_static.check_licence(package, "MIT")
    with pytest.raises(vendor_static.VendorError):
        vendor_static.check_licence(package, {"type": "EUPL-1.2"})
    assert vendor_static.check_licence(package, "0BSD") == "0BSD"


def test_a_tarball_that_does_not_match_its_integrity_is_refused():
    good = "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="
    vendor_static.verify_integrity(b"", good)
    with pytest.raises(vendor_static.VendorError):
        vendor_static.verify_integrity(b"tampered", good)
    with pytest.raises(vendor_static.VendorError):
        vendor_static.verify_integrity(b"", "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=")
