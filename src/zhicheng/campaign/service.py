"""The campaign workflow: create, assign, fill in, submit, return, resubmit, approve.

States of a submission: ``draft → submitted → approved``, or ``submitted → returned`` (with a
reason) ``→ resubmitted → approved`` (or returned again). Departments change only their own
drafts and returned submissions; reviewers approve or return in bulk, never their own work.
Every change is kept in ``campaign_history`` and written to the audit log with its detail.
Approval writes the approved values to ``indicator_values`` as one ingest batch of kind
``campaign`` (source ``campaign:<id>``) whose note lists the submissions and their evidence, in the
same transaction that marks the submissions approved; each submission keeps the batch id.
Every call is one transaction: bad input changes nothing (evidence files included).

Each step has its module (:mod:`~zhicheng.campaign.campaigns`, :mod:`~zhicheng.campaign.assignments`,
:mod:`~zhicheng.campaign.access`, :mod:`~zhicheng.campaign.values`,
:mod:`~zhicheng.campaign.submissions`, :mod:`~zhicheng.campaign.review`, what they share in
:mod:`~zhicheng.campaign.journal`); this module gathers their public functions.
"""

from __future__ import annotations

from zhicheng.campaign.access import may_edit, may_read
from zhicheng.campaign.assignments import assign
from zhicheng.campaign.campaigns import (
    campaign_units_of,
    close_campaign,
    create_campaign,
    get_campaign,
    list_campaigns,
    load_campaign,
)
from zhicheng.campaign.journal import MAX_ITEMS, Row, Upload, framework_for
from zhicheng.campaign.review import Approval, approve, return_submissions
from zhicheng.campaign.submissions import (
    add_evidence,
    evidence_file,
    get_submission,
    list_submissions,
    remove_evidence,
    save_submission,
    submit,
)
from zhicheng.campaign.values import checked_values
from zhicheng.goals.periods import PERIOD

__all__ = [
    "Approval",
    "MAX_ITEMS",
    "PERIOD",
    "Row",
    "Upload",
    "add_evidence",
    "approve",
    "assign",
    "campaign_units_of",
    "checked_values",
    "close_campaign",
    "create_campaign",
    "evidence_file",
    "framework_for",
    "get_campaign",
    "get_submission",
    "list_campaigns",
    "list_submissions",
    "load_campaign",
    "may_edit",
    "may_read",
    "remove_evidence",
    "return_submissions",
    "save_submission",
    "submit",
]
