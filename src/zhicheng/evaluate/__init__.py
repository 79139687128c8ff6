"""Services: data intake (files → stored indicator values) and evaluation runs over the store."""

from zhicheng.evaluate.errors import EvaluationError, IngestError
from zhicheng.evaluate.intake import IngestReport, ingest_file

__all__ = ["EvaluationError", "IngestError", "IngestReport", "ingest_file"]
