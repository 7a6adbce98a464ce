"""The docs stay true to the code: every environment variable is documented, the README starts
with the two commands, every relative link resolves, and no placeholder is left."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README_PATH = ROOT / "README.md"
README = README_PATH.read_text()
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README_PATH, *DOCS]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {_slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def _links(page: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", page.read_text()))


def test_every_setting_is_documented() -> None:
    configuration = (ROOT / "docs" / "configuration.md").read_text()
    missing = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias.choices[0] if field.validation_alias else name  # type: ignore[union-attr]
        if f"`{alias}`" not in configuration:
            missing.append(alias)
    assert missing == [], "document these in docs/configuration.md"


def test_the_two_commands_come_first() -> None:
    flow = README.index("## How a payment flows")
    assert README.index("make dev") < flow
    assert README.index("make test") < flow
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in _links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        missing_anchor = bool(anchor) and resolved.suffix == ".md"
        if not resolved.exists() or (missing_anchor and anchor not in _anchors(resolved)):
            broken.append(target)
    assert broken == []


def test_the_docs_are_linked_from_the_readme() -> None:
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in _links(README_PATH)}
    assert [d.name for d in DOCS if d.resolve() not in linked] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_placeholders_are_filled(page: Path) -> None:
    text = page.read_text()
    for marker in (
        "CONFIG_TABLE",
        "CURL_SESSION",
        "DEPLOY_SECTION",
        "PERFORMANCE_SECTION",
        "GUARANTEES_SECTION",
        "TODO",
        "TBD",
        "DESIGN.md",
    ):
        assert marker not in text, marker
