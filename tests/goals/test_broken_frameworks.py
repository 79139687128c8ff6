"""Broken framework files: each gives exit status 2 and a clear, located error (file, line, reason)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhicheng.cli import app

BROKEN = Path(__file__).parent / "broken"

# (fixture, file the problem is in, line, reason) — lines counted in the fixture files.
CASES = [
    ("duplicate_id.yaml", "duplicate_id.yaml", 24,
     "duplicate id 'D1.R1.I1' (first used on line 17)"),
    ("requirement_without_indicators.yaml", "requirement_without_indicators.yaml", 27,
     "requirement D1.R2: 'indicators' is empty"),
    ("missing_unit.yaml", "missing_unit.yaml", 17,
     "indicator D1.R1.I1: missing required key 'unit'"),
    ("missing_direction.yaml", "missing_direction.yaml", 17,
     "indicator D1.R1.I1: missing required key 'direction'"),
    ("unknown_key.yaml", "unknown_key.yaml", 24, "indicator D1.R1.I1: unknown key 'traget'"),
    ("zero_weight.yaml", "zero_weight.yaml", 15,
     "requirement D1.R1: 'weight' must be a positive number, got 0"),
    ("negative_weight.yaml", "negative_weight.yaml", 11,
     "domain D1: 'weight' must be a positive number, got -2"),
    ("weight_not_number.yaml", "weight_not_number.yaml", 24,
     "indicator D1.R1.I1: 'weight': Input should be a valid number"),
    ("invalid_yaml.yaml", "invalid_yaml.yaml", 19,
     "invalid YAML: expected ',' or '}', but got ':' (while parsing a flow mapping started on line 18)"),
    ("id_not_nested.yaml", "id_not_nested.yaml", 17,
     "indicator id 'D1.R2.I1' is not nested under its parent 'D1.R1'"),
    ("malformed_id.yaml", "malformed_id.yaml", 9, "domain id 'Domain1' is malformed"),
    ("bad_kind.yaml", "bad_kind.yaml", 22, "indicator D1.R1.I1: 'kind': Input should be 'statistic'"),
    ("bad_direction.yaml", "bad_direction.yaml", 21,
     "indicator D1.R1.I1: 'direction' must be 1 (higher is better) or -1 (lower is better), got 'up'"),
    ("band_reversed.yaml", "band_reversed.yaml", 17,
     "indicator D1.R1.I1: target band [60.0, 30.0] has lo > hi"),
    ("grades_not_increasing.yaml", "grades_not_increasing.yaml", 7,
     "grade 2: thresholds must increase: 0 is not above 0"),
    ("duplicate_key.yaml", "duplicate_key.yaml", 24, "duplicate key 'unit' (first given on line 20)"),
    ("not_a_mapping.yaml", "not_a_mapping.yaml", 1, "a framework file must be a mapping"),
    ("missing_domain_file", "missing_domain_file/framework.yaml", 9,
     "cannot read " + str(BROKEN / "missing_domain_file" / "d2_missing.yaml")),
    ("domain_id_mismatch", "domain_id_mismatch/d1_services.yaml", 1,
     "domain file's id 'D2' does not match the framework entry's id 'D1'"),
]


def flat(text: str) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(text.split())


def test_there_is_one_test_per_fixture() -> None:
    fixtures = {p.name for p in BROKEN.iterdir()} - {"many_problems.yaml"}
    assert fixtures == {case[0] for case in CASES}
    assert len(CASES) >= 10


@pytest.mark.parametrize(("fixture", "where", "line", "reason"), CASES,
                         ids=[c[0] for c in CASES])
def test_broken_file_gives_located_error(fixture: str, where: str, line: int, reason: str) -> None:
    target = BROKEN / fixture
    result = CliRunner().invoke(app, ["framework", "validate", str(target)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    out = flat(result.stderr)
    assert f"{BROKEN / where}, line {line}: {reason}" in out, out
    assert result.stdout == ""
    # the first line of a fixture says what the mistake is; the line reported is real
    lines = (BROKEN / where).read_text(encoding="utf-8").splitlines()
    assert 1 <= line <= len(lines)


def test_show_and_export_fail_the_same_way() -> None:
    target = BROKEN / "missing_unit.yaml"
    for args in (["framework", "show", "--file", str(target)],
                 ["framework", "export", "--format", "csv", "--file", str(target)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2
        assert f"{target}, line 17: indicator D1.R1.I1: missing required key 'unit'" in flat(
            result.stderr)


def test_many_problems_all_listed() -> None:
    target = BROKEN / "many_problems.yaml"
    result = CliRunner().invoke(app, ["framework", "validate", str(target)])
    assert result.exit_code == 2
    out = flat(result.stderr)
    assert "invalid framework: 5 problem(s)" in out
    for line in (15, 17, 21, 23, 25):
        assert f"{target}, line {line}: " in out
