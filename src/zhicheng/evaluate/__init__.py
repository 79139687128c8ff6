"""Services: data intake (files → stored indicator values) and evaluation runs over the store.

Intake: :func:`ingest_file` (CSV/XLSX/JSON, long or wide, with a mapping file) → :class:`IngestReport`.
Evaluation: :func:`evaluate` → :class:`EvaluationRun`; :func:`suggest_period` picks the latest
suitable period. Reading runs: :func:`list_runs`, :func:`get_run`, :func:`read_results`,
:func:`scoreboard`, :func:`unit_gaps`, :func:`export_results`.
"""

from zhicheng.evaluate.config import MethodConfig, load_config
from zhicheng.evaluate.errors import EvaluationError, IngestError
from zhicheng.evaluate.intake import IngestReport, ingest_file
from zhicheng.evaluate.results import (
    RunInfo,
    export_results,
    get_run,
    list_runs,
    read_results,
    scoreboard,
    unit_gaps,
)
from zhicheng.evaluate.service import EvaluationRun, evaluate, suggest_period

__all__ = [
    "EvaluationError",
    "EvaluationRun",
    "IngestError",
    "IngestReport",
    "MethodConfig",
    "RunInfo",
    "evaluate",
    "export_results",
    "get_run",
    "ingest_file",
    "list_runs",
    "load_config",
    "read_results",
    "scoreboard",
    "suggest_period",
    "unit_gaps",
]
