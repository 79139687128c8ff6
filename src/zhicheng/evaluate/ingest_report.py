"""What an ingest did: the report that values and units ingests both return."""

from __future__ import annotations

from dataclasses import dataclass, field

from zhicheng.errors import Problem


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did (or, with ``dry_run``, would do)."""

    source: str
    checksum: str
    dry_run: bool
    batch_id: int | None = None
    already_ingested_as: int | None = None
    rows_read: int = 0
    values_new: int = 0
    values_updated: int = 0
    values_unchanged: int = 0
    values_excluded: int = 0
    units_new: int = 0
    units_updated: int = 0
    indicators: dict[str, int] = field(default_factory=dict)
    conversions: tuple[str, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def written(self) -> int:
        """Values (or units) inserted or updated."""
        return self.values_new + self.values_updated + self.units_new + self.units_updated
