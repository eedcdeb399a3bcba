"""The README's settings table is the Settings model's (infra/settings_table.py): every setting
is listed with its variable, default and meaning, and the table is exactly what the model
generates, so a new or changed setting fails here until the README is regenerated."""

from __future__ import annotations

from infra.settings import Settings
from infra.settings_table import BEGIN, README, block, environment_names, main, readme_block


def test_every_setting_has_a_meaning() -> None:
    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert not missing, f"fields without a description (the README's meaning column): {missing}"


def test_every_setting_is_in_the_readme_table() -> None:
    current = readme_block(README.read_text(encoding="utf-8"))
    assert current is not None, f"README.md has no block starting {BEGIN}"
    missing = sorted(name for name in environment_names() if f"`{name}`" not in current)
    assert not missing, f"settings missing from README.md: {missing}"


def test_the_readme_table_is_the_generated_one() -> None:
    current = readme_block(README.read_text(encoding="utf-8"))
    assert current == block(), "run `python -m infra.settings_table --write`"
    assert main(["--check"]) == 0


def test_the_table_shows_defaults_and_secrets_safely() -> None:
    generated = block()
    assert "| `BIOSAFETY_TIMEZONE` | `Europe/Budapest` |" in generated
    assert "| `BIOSAFETY_REMINDER_OFFSETS_DAYS` | `[30, 14, 7, 1]` |" in generated
    assert "| `DATABASE_URL`, `BIOSAFETY_DATABASE_URL` | unset |" in generated
    assert "| `BIOSAFETY_TEMPORAL_API_KEY` | unset |" in generated
