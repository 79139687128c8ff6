"""Survey responses: read CSV/XLSX exports, validate every cell with located errors, store in one transaction.

Two layouts are read:

* **native** — one row per respondent, a ``respondent_id`` column, the declared respondent fields
  (``district``, ``age_band``, ``sex``) and one column per question id; answers are the codes of
  the questionnaire (Likert 1..points, option codes, ``;``-separated for multiple choice);
* **mapped** — any export (e.g. a city's open-data file) with a mapping file (YAML) naming the
  respondent-id column, the column that splits the file into waves, how respondent fields are
  recoded, and which column answers which question on which scale. Columns that map to nothing are
  reported (with the mapping's reason when it gives one), never dropped silently.

Each stage has its module: :mod:`~zhicheng.survey.response_mapping` (mapping files and errors),
:mod:`~zhicheng.survey.response_parse`, :mod:`~zhicheng.survey.response_store` and
:mod:`~zhicheng.survey.waves` (online waves); this module gathers their public names.
"""

from __future__ import annotations

from zhicheng.survey.response_mapping import (
    MAX_ROWS_PER_PROBLEM,
    RESPONDENT_FIELDS,
    FieldMap,
    QuestionMap,
    ResponseError,
    ResponseMapping,
    WaveClosed,
    WaveMap,
    WaveNotFound,
    load_mapping,
)
from zhicheng.survey.response_parse import ParsedResponses, WaveData, WaveQuestion, parse_responses
from zhicheng.survey.response_store import (
    IngestSummary,
    ingest_responses,
    questionnaire_pk,
    store_wave,
)
from zhicheng.survey.waves import (
    create_online_wave,
    read_wave_questionnaire,
    set_wave_status,
    submit_response,
)

__all__ = [
    "FieldMap",
    "IngestSummary",
    "MAX_ROWS_PER_PROBLEM",
    "ParsedResponses",
    "QuestionMap",
    "RESPONDENT_FIELDS",
    "ResponseError",
    "ResponseMapping",
    "WaveClosed",
    "WaveData",
    "WaveMap",
    "WaveNotFound",
    "WaveQuestion",
    "create_online_wave",
    "ingest_responses",
    "load_mapping",
    "parse_responses",
    "questionnaire_pk",
    "read_wave_questionnaire",
    "set_wave_status",
    "store_wave",
    "submit_response",
]
