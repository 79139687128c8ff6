"""Self-assessment campaigns (城市自评): departments supply values and evidence, reviewers approve.

Public API: :func:`create_campaign`, :func:`assign`, :func:`save_submission`, :func:`submit`,
:func:`add_evidence`, :func:`remove_evidence`, :func:`return_submissions`, :func:`approve`,
:func:`get_campaign`, :func:`list_campaigns`, :func:`get_submission`, :func:`list_submissions`,
the read models :func:`progress`, :func:`my_assignments`, :func:`notifications`,
:func:`export_frame`, :func:`run_provenance`, and :class:`EvidenceStore` for the evidence files.
"""

from zhicheng.campaign.errors import (
    CampaignConflict,
    CampaignError,
    CampaignForbidden,
    CampaignNotFound,
    EvidenceRefused,
    EvidenceTooLarge,
)
from zhicheng.campaign.evidence import EvidenceStore
from zhicheng.campaign.models import Actor, AssignmentSpec, SubmissionInput, parse_deadline
from zhicheng.campaign.progress import (
    export_frame,
    my_assignments,
    notifications,
    progress,
    run_provenance,
    write_export,
)
from zhicheng.campaign.service import (
    Approval,
    add_evidence,
    approve,
    assign,
    close_campaign,
    create_campaign,
    evidence_file,
    get_campaign,
    get_submission,
    list_campaigns,
    list_submissions,
    remove_evidence,
    return_submissions,
    save_submission,
    submit,
)
from zhicheng.campaign.settings import CampaignSettings

__all__ = [
    "Actor", "Approval", "AssignmentSpec", "CampaignConflict", "CampaignError", "CampaignForbidden",
    "CampaignNotFound", "CampaignSettings", "EvidenceRefused", "EvidenceStore", "EvidenceTooLarge",
    "SubmissionInput", "add_evidence", "approve", "assign", "close_campaign", "create_campaign",
    "evidence_file", "export_frame", "get_campaign", "get_submission", "list_campaigns",
    "list_submissions", "my_assignments", "notifications", "parse_deadline", "progress",
    "remove_evidence", "return_submissions", "run_provenance", "save_submission", "submit",
    "write_export",
]
