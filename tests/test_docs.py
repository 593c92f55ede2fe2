"""Docs that cannot drift: every setting and every CLI command is documented."""

from __future__ import annotations

from pathlib import Path

import click

from photohub.cli import main
from photohub.config import setting_names

ROOT = Path(__file__).parent.parent


def test_every_setting_is_in_the_settings_doc() -> None:
    doc = (ROOT / "docs" / "settings.md").read_text()
    missing = [name for name in setting_names() if f"`{name}`" not in doc]
    assert missing == []


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    assert isinstance(main, click.Group)
    for name in main.commands:
        assert f"photohub {name}" in readme, name


def test_the_readme_test_command_is_what_ci_runs() -> None:
    assert "scripts/test" in (ROOT / "README.md").read_text()
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()
