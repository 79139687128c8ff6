"""Loading framework files: single file or folder, round trips, and located problems."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from zhicheng.goals import (
    FrameworkError,
    builtin_framework,
    framework_to_dict,
    load_framework,
)
from zhicheng.goals.loader import catalogue_dir

BROKEN = Path(__file__).parent / "broken"


def copy_catalogue(dest: Path) -> Path:
    src = Path(str(catalogue_dir()))
    shutil.copytree(src, dest)
    return dest


def test_folder_and_its_framework_file_load_the_same(tmp_path: Path) -> None:
    folder = copy_catalogue(tmp_path / "cat")
    assert load_framework(folder) == builtin_framework()
    assert load_framework(folder / "framework.yaml") == builtin_framework()
    assert load_framework(str(folder)) == builtin_framework()


def test_a_city_changes_weights_targets_and_grades(tmp_path: Path) -> None:
    folder = copy_catalogue(tmp_path / "city")
    fw_file = folder / "framework.yaml"
    text = fw_file.read_text(encoding="utf-8")
    text = text.replace("{id: D3, weight: 1,", "{id: D3, weight: 2.5,")
    text = text.replace("min: 95}", "min: 92}")
    fw_file.write_text(text, encoding="utf-8")
    d3 = folder / "d3_ecology.yaml"
    d3.write_text(d3.read_text(encoding="utf-8").replace("target: 87.5", "target: 90"),
                  encoding="utf-8")
    fw = load_framework(folder)
    assert fw.domain("D3").weight == 2.5
    assert fw.indicator("D3.R1.I1").target == 90
    assert fw.grades[-1].min == 92
    assert builtin_framework().domain("D3").weight == 1  # the built-in one is untouched


def test_single_yaml_file_round_trip(tmp_path: Path) -> None:
    doc = framework_to_dict(builtin_framework())
    path = tmp_path / "all.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert load_framework(path) == builtin_framework()


def test_json_export_loads_back_equal(tmp_path: Path) -> None:
    path = tmp_path / "fw.json"
    path.write_text(json.dumps(framework_to_dict(builtin_framework()), ensure_ascii=False),
                    encoding="utf-8")
    again = load_framework(path)
    assert again == builtin_framework()
    assert framework_to_dict(again) == framework_to_dict(builtin_framework())


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(FrameworkError) as info:
        load_framework(BROKEN / "many_problems.yaml")
    problems = info.value.problems
    assert [(p.row, p.file) for p in problems] == [
        (15, str(BROKEN / "many_problems.yaml")),
        (17, str(BROKEN / "many_problems.yaml")),
        (21, str(BROKEN / "many_problems.yaml")),
        (23, str(BROKEN / "many_problems.yaml")),
        (25, str(BROKEN / "many_problems.yaml")),
    ]
    reasons = " ".join(p.reason for p in problems)
    for part in ["'weight' must be a positive number", "missing required key 'unit'",
                 "'kind'", "duplicate id 'D1.R1' (first used on line 13)",
                 "'indicators' is empty"]:
        assert part in reasons


def test_problem_in_a_domain_file_names_that_file(tmp_path: Path) -> None:
    folder = copy_catalogue(tmp_path / "cat")
    d5 = folder / "d5_digital_foundations.yaml"
    lines = d5.read_text(encoding="utf-8").splitlines()
    n = next(k for k, line in enumerate(lines) if "unit: ratio" in line)
    del lines[n]
    d5.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(FrameworkError) as info:
        load_framework(folder)
    (problem,) = info.value.problems
    assert problem.file == str(d5)
    assert problem.reason == "indicator D5.R1.I1: missing required key 'unit'"
    # the indicator's mapping starts a few lines above the removed unit line
    assert problem.row is not None and n - 6 <= problem.row <= n
    assert lines[problem.row - 1].strip() == "- id: D5.R1.I1"


def test_missing_file_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match="cannot read"):
        load_framework(tmp_path / "nope.yaml")
    bad = tmp_path / "gbk.yaml"
    bad.write_bytes("id: 城市".encode("gbk"))
    with pytest.raises(FrameworkError, match="not UTF-8"):
        load_framework(bad)


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(FrameworkError, match="the file is empty"):
        load_framework(empty)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match="must be a mapping"):
        load_framework(listing)
