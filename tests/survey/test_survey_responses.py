"""Response files: valid CSV/XLSX stored in one transaction; bad files refused with located errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.survey.conftest import UNIT, table_counts
from zhicheng.store.schema_survey import survey_answers, survey_respondents, survey_wave_questions
from zhicheng.survey.responses import ResponseError, ingest_responses, parse_responses

GOOD = """\
respondent_id,district,age_band,sex,city_as_place_to_live,police,crime_concern,service_channel,priority_domains,suggestions
r1,东城,25-44,female,4,3,1,app,D1;D3,更多公园
r2,西城,45-64,male,5,,2,hall,D2,
r3,东城,65+,,2,4,3,,,
"""


def _write(tmp_path: Path, text: str, name: str = "responses.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_valid_native_csv_is_stored(store: Engine, tmp_path: Path) -> None:
    summary = ingest_responses(store, _write(tmp_path, GOOD), unit=UNIT, period="2026")
    assert summary.respondents == 3 and summary.periods == ("2026",)
    with store.connect() as conn:
        ans = pd.DataFrame(conn.execute(sa.select(survey_answers)).mappings().all())
        resp = pd.DataFrame(conn.execute(sa.select(survey_respondents)).mappings().all())
        wq = pd.DataFrame(conn.execute(sa.select(survey_wave_questions)).mappings().all())
    police = ans[ans["question_id"] == "police"].set_index("respondent_id")["value"].to_dict()
    assert police == {"r1": 3.0, "r3": 4.0}
    assert ans[ans["question_id"] == "priority_domains"].set_index("respondent_id")["choice"].to_dict() == {
        "r1": "D1;D3", "r2": "D2"}
    assert ans[ans["question_id"] == "suggestions"]["text"].tolist() == ["更多公园"]
    assert sorted(resp.columns) == ["age_band", "channel", "district", "respondent_id", "sex", "submitted_at", "wave_id"]
    crime = wq.set_index("question_id").loc["crime_concern"]
    assert (crime["scale_low"], crime["scale_high"], bool(crime["reverse"])) == (1.0, 3.0, True)


def test_valid_xlsx_is_read_like_csv(store: Engine, tmp_path: Path) -> None:
    frame = pd.read_csv(_write(tmp_path, GOOD), dtype=str, keep_default_na=False)
    path = tmp_path / "responses.xlsx"
    frame.to_excel(path, index=False)
    summary = ingest_responses(store, path, unit=UNIT, period="2026")
    assert (summary.respondents, summary.answers) == (3, 13)  # 6 + 4 + 3 answered cells


BAD_FILES = {
    "out_of_scale": (GOOD.replace("r2,西城,45-64,male,5,", "r2,西城,45-64,male,6,"), 3, "city_as_place_to_live", "off the 1–5 scale"),
    "half_point": (GOOD.replace("r1,东城,25-44,female,4,3,1", "r1,东城,25-44,female,4,3.5,1"), 2, "police", "whole points only"),
    "reversed_scale_off": (GOOD.replace("r3,东城,65+,,2,4,3", "r3,东城,65+,,2,4,4"), 4, "crime_concern", "off the 1–3 scale"),
    "not_a_number": (GOOD.replace("r1,东城,25-44,female,4", "r1,东城,25-44,female,good"), 2, "city_as_place_to_live", "not a number"),
    "duplicate_respondent": (GOOD.replace("r3,", "r1,"), 4, "respondent_id", "duplicate respondent id"),
    "empty_respondent": (GOOD.replace("r3,", ","), 4, "respondent_id", "respondent id is empty"),
    "unknown_option": (GOOD.replace(",hall,", ",kiosk,"), 3, "service_channel", "unknown option"),
    "unknown_multiple_option": (GOOD.replace("D1;D3", "D1;D9"), 2, "priority_domains", "unknown option"),
    "undeclared_category": (GOOD.replace("45-64,male", "45-64,other"), 3, "sex", "sex must be one of female, male"),
    "unknown_question": (GOOD.replace("suggestions\n", "suggestions,income\n").replace("更多公园\n", "更多公园,9\n"), 1, "income", "unknown question 'income'"),
    "missing_id_column": (GOOD.replace("respondent_id,", "rid,"), 1, "respondent_id", "missing column 'respondent_id'"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_is_refused_located_and_changes_nothing(kind: str, store: Engine, tmp_path: Path) -> None:
    ingest_responses(store, _write(tmp_path, GOOD, "first.csv"), unit=UNIT, period="2025")
    before = table_counts(store)
    text, row, column, reason = BAD_FILES[kind]
    path = _write(tmp_path, text)
    with pytest.raises(ResponseError) as err:
        ingest_responses(store, path, unit=UNIT, period="2026")
    assert any(p.row == row and p.column == column and reason in p.reason and p.file == str(path)
               for p in err.value.problems), err.value.lines()
    assert "nothing was written" in str(err.value)
    assert table_counts(store) == before


@pytest.mark.parametrize("content, reason", [
    (b"", "file is empty"),
    (b"respondent_id,police\n", "no data rows"),
    (b"respondent_id,police\n\xff\xfe,3\n", "bad encoding"),
])
def test_unreadable_files_are_refused(content: bytes, reason: str, store: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    before = table_counts(store)
    with pytest.raises(ResponseError) as err:
        ingest_responses(store, path, unit=UNIT, period="2026")
    assert reason in "\n".join(err.value.lines())
    assert table_counts(store) == before


def test_store_level_refusals_change_nothing(store: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    with pytest.raises(ResponseError, match="nothing was written") as err:
        ingest_responses(store, path, unit="NOWHERE", period="2026")
    assert "unknown unit 'NOWHERE'" in err.value.lines()[1]
    ingest_responses(store, path, unit=UNIT, period="2026")
    before = table_counts(store)
    with pytest.raises(ResponseError) as err:
        ingest_responses(store, path, unit=UNIT, period="2026")
    assert "already stored" in err.value.lines()[1]
    assert table_counts(store) == before


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("r2,西城,45-64,male,5,", "r2,西城,45-64,male,9,").replace(",hall,", ",kiosk,")
    with pytest.raises(ResponseError) as err:
        parse_responses(_write(tmp_path, text))
    assert {(p.row, p.column) for p in err.value.problems} == {(3, "city_as_place_to_live"), (3, "service_channel")}


def test_mapping_naming_absent_column_is_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("respondent_id: respondent_id\nquestions:\n  - {column: Police.num, question: police}\n"
                       "  - {column: police, question: no_such_question}\n", encoding="utf-8")
    with pytest.raises(ResponseError) as err:
        parse_responses(_write(tmp_path, GOOD), mapping=mapping)
    reasons = [(p.column, p.reason) for p in err.value.problems]
    assert ("Police.num", "missing column 'Police.num' named by the mapping") in reasons
    assert ("police", "mapping names unknown question 'no_such_question'") in reasons
