"""Every setting is documented: each field of the one settings class, and every ``ZHICHENG_``
variable the code reads, has its row (variable, default, meaning) in the README's Settings table."""

from __future__ import annotations

import re
from pathlib import Path

from zhicheng.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
VARIABLE = re.compile(r"ZHICHENG_[A-Z0-9_]+")


def settings_table() -> dict[str, tuple[str, str]]:
    """Variable → (default, meaning) from the README's ``## Settings`` table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and VARIABLE.fullmatch(cells[0].strip("`")):
            rows[cells[0].strip("`")] = (cells[1], cells[2])
    return rows


def _shown(default: object) -> str:
    if default is None:
        return "unset"
    return str(default).lower() if isinstance(default, bool) else str(default)


def undocumented(rows: dict[str, tuple[str, str]]) -> list[str]:
    """Fields of :class:`Settings` without a row, with another default, or without a meaning."""
    wrong = []
    for name, field in Settings.model_fields.items():
        variable = f"ZHICHENG_{name.upper()}"
        default, meaning = rows.get(variable, ("", ""))
        shown = _shown(field.default)
        if not default.startswith((shown, f"`{shown}`")) or len(meaning) < 10:
            wrong.append(variable)
    return wrong


def test_every_field_has_its_row_with_default_and_meaning() -> None:
    assert undocumented(settings_table()) == []


def test_every_variable_the_code_reads_is_documented() -> None:
    rows = settings_table()
    used = set()
    for folder in ("src/zhicheng", "tests", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(VARIABLE.findall(path.read_text(encoding="utf-8")))
    assert sorted(used - set(rows)) == []


def test_the_table_names_no_setting_that_does_not_exist() -> None:
    fields = {f"ZHICHENG_{name.upper()}" for name in Settings.model_fields}
    tests_only = {v for v, (_, meaning) in settings_table().items() if meaning.startswith("tests only")}
    assert sorted(set(settings_table()) - fields - tests_only) == []


def test_a_missing_row_or_a_wrong_default_is_found() -> None:
    rows = settings_table()
    rows.pop("ZHICHENG_EVIDENCE_MAX_FILES")
    rows["ZHICHENG_MQTT_HOST"] = ("`0.0.0.0`", rows["ZHICHENG_MQTT_HOST"][1])
    assert undocumented(rows) == ["ZHICHENG_MQTT_HOST", "ZHICHENG_EVIDENCE_MAX_FILES"]
