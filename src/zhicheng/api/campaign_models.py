"""Response models of the campaign API: campaigns, assignments, submissions, progress, digest.

They describe the answers of :mod:`zhicheng.api.routers.campaign` in the OpenAPI schema; the routes
declare them as documentation (``responses``) and keep encoding the service's rows as they always
have, so the JSON does not change. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from zhicheng.api.read_models import Grade


class CampaignRecord(BaseModel):
    """A campaign: what it collects (framework, period), by when, and whether it is open."""

    id: int
    name: str
    framework_id: str
    framework_version: str
    period: str
    deadline: dt.datetime
    status: str = Field(description="open or closed")
    created_by: str
    created_at: dt.datetime
    note: str | None = None


class CampaignListed(CampaignRecord):
    """A campaign in the list: its number of assignments and of submissions by state."""

    assignments: int
    submissions: dict[str, int]


class Assignment(BaseModel):
    """An indicator given to a department (and, when named, to some of its analysts)."""

    id: int
    campaign_id: int
    indicator_id: str
    department: str
    assignees: list[str]
    assigned_by: str
    assigned_at: dt.datetime
    indicator_name: str | None = None
    kind: str | None = None
    unit: str | None = None


class CampaignDetail(CampaignRecord):
    """A campaign with its units, assignments and maturity grades."""

    units: list[str]
    unit_names: dict[str, str] | None = Field(None, description="Unit code → its name in the page's language")
    assignments: list[Assignment]
    grades: list[Grade]


class CampaignSummary(BaseModel):
    """The campaign a progress board is about."""

    id: int
    name: str
    period: str
    deadline: dt.datetime
    status: str
    framework_id: str
    framework_version: str
    units: list[str]


class Counts(BaseModel):
    """Expected submissions by state, completion (approved share) and the overdue ones."""

    missing: int
    draft: int
    submitted: int
    returned: int
    resubmitted: int
    approved: int
    expected: int
    completion: float
    handed_in: float | None = None
    overdue: int


class DepartmentProgress(Counts):
    """One department's progress."""

    department: str


class IndicatorProgress(Counts):
    """One department's progress on one indicator."""

    department: str
    indicator_id: str
    indicator_name: str | None = None


class Progress(BaseModel):
    """Progress per department and indicator: counts by state, completion, overdue."""

    campaign: CampaignSummary
    overdue_now: bool
    departments: list[DepartmentProgress]
    indicators: list[IndicatorProgress]
    totals: Counts


class Item(BaseModel):
    """One indicator × unit a department owes in an open campaign, and how it stands."""

    campaign_id: int
    indicator_id: str
    department: str
    unit_code: str
    unit_name_zh: str | None = None
    unit_name_en: str | None = None
    submission_id: float | None = None
    status: str = Field(description="missing, draft, submitted, returned, resubmitted or approved")
    value: float | None = None
    return_reason: str | None = None
    campaign: str
    period: str
    deadline: dt.datetime
    indicator_name: str | None = None
    kind: str | None = None
    unit: str | None = None
    days_left: float
    overdue: bool


class ReviewQueue(BaseModel):
    """A campaign with submissions waiting for review or departments overdue."""

    campaign_id: int
    campaign: str
    deadline: dt.datetime
    waiting: int
    overdue_departments: list[str]


class DigestCounts(BaseModel):
    """How many items are due, overdue, returned and waiting for review."""

    due: int
    overdue: int
    returned: int
    to_review: int


class Notifications(BaseModel):
    """The caller's digest: due and overdue items, returned submissions, what awaits review."""

    user: str
    role: str
    department: str | None = None
    generated_at: dt.datetime
    counts: DigestCounts
    due: list[Item]
    returned: list[Item]
    to_review: list[ReviewQueue]


class Submission(BaseModel):
    """A department's submission for one indicator and unit."""

    id: int
    campaign_id: int
    assignment_id: int
    indicator_id: str
    unit_code: str
    unit_name_zh: str | None = None
    unit_name_en: str | None = None
    department: str
    status: str = Field(description="draft, submitted, returned, resubmitted or approved")
    value: float | None = None
    answer: str | None = None
    items_met: int | None = None
    items_total: int | None = None
    maturity: int | None = None
    comment: str | None = None
    return_reason: str | None = None
    round: int
    created_by: str
    created_at: dt.datetime
    updated_by: str
    updated_at: dt.datetime
    submitted_by: str | None = None
    submitted_at: dt.datetime | None = None
    reviewed_by: str | None = None
    reviewed_at: dt.datetime | None = None
    batch_id: int | None = None


class SubmissionListed(Submission):
    """A submission in a list, with its number of evidence files."""

    evidence_count: int


class EvidenceFile(BaseModel):
    """An evidence file of a submission (``url`` downloads it as an attachment)."""

    id: int
    submission_id: int
    sha256: str
    filename: str
    media_type: str
    size: int
    uploaded_by: str
    uploaded_at: dt.datetime
    url: str


class HistoryEntry(BaseModel):
    """One change of a submission: who, when, from which state to which, with what value."""

    id: int
    submission_id: int
    at: dt.datetime
    actor: str
    action: str
    from_status: str | None = None
    to_status: str
    value: float | None = None
    detail: dict[str, Any] | None = None


class SubmissionDetail(Submission):
    """A submission with its evidence files and its history."""

    evidence: list[EvidenceFile]
    history: list[HistoryEntry]


class ApprovalResult(BaseModel):
    """What an approval did: the ingest batch and the submissions and values it wrote."""

    batch_id: int
    submissions: list[int]
    values_new: int
    values_updated: int


class LinkedEvidence(BaseModel):
    """An evidence file behind a stored value."""

    id: int
    sha256: str
    filename: str
    media_type: str
    url: str


class ProvenanceLink(BaseModel):
    """An approved submission beside the stored value, its batch and the run's raw value and score."""

    submission_id: int
    indicator_id: str
    unit_code: str
    department: str
    approved_value: float | None = None
    batch_id: int | None = None
    stored_value: float | None = None
    stored_batch_id: int | None = None
    raw_value: float | None = None
    score: float | None = None
    value_period: str | None = None
    from_submission: bool
    evidence: list[LinkedEvidence]
