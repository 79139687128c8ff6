"""Errors of the campaign service; the server maps each to its HTTP status."""

from __future__ import annotations

from zhicheng.errors import ZhichengError


class CampaignError(ZhichengError):
    """Bad input to a campaign (unknown indicator or unit, a value outside its range …): 400."""

    status = 400


class CampaignNotFound(CampaignError):
    """No such campaign, assignment, submission or evidence file: 404."""

    status = 404


class CampaignForbidden(CampaignError):
    """The caller may not see or change this (another department, own submission): 403."""

    status = 403


class CampaignConflict(CampaignError):
    """The submission is not in a state that allows the action (approve a draft …): 409."""

    status = 409


class EvidenceRefused(CampaignError):
    """An evidence file of a type not accepted (by its bytes) or a name that does not match: 415."""

    status = 415


class EvidenceTooLarge(EvidenceRefused):
    """An evidence file larger than the limit, or too many files: 413."""

    status = 413
