"""The README stays true to the code: every environment variable and both commands appear."""

from __future__ import annotations

from pathlib import Path

from shared.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias.choices[0] if field.validation_alias else name  # type: ignore[union-attr]
        if f"`{alias}`" not in README:
            missing.append(alias)
    assert missing == []


def test_the_two_commands_come_first() -> None:
    assert README.index("make dev") < README.index("## How a payment flows")
    assert "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_placeholders_are_filled() -> None:
    for marker in (
        "CONFIG_TABLE",
        "CURL_SESSION",
        "DEPLOY_SECTION",
        "PERFORMANCE_SECTION",
        "GUARANTEES_SECTION",
    ):
        assert marker not in README, marker
