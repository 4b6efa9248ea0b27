"""A release can be pinned: the version, its changelog entry and the tag convention agree."""

from __future__ import annotations

import re
from pathlib import Path

from submitkit import __version__

REPO = Path(__file__).resolve().parents[2]


def test_the_changelog_has_the_version_and_an_unreleased_section() -> None:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings[0] == "Unreleased" or headings[0] == __version__
    assert __version__ in headings, f"CHANGELOG.md has no '## {__version__}' heading"
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__), "tags are vX.Y.Z of a semantic version"


def test_the_tag_convention_is_documented() -> None:
    page = (REPO / "docs" / "development.md").read_text(encoding="utf-8")
    assert "`vX.Y.Z`" in page and "submitkit/_version.py" in page
