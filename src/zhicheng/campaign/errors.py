"""Errors of the campaign service, each of a kind the server maps to its HTTP status."""

from __future__ import annotations

from zhicheng.errors import Conflict, Forbidden, NotFound, TooLarge, Unsupported, ZhichengError


class CampaignError(ZhichengError):
    """Bad input to a campaign (unknown indicator or unit, a value outside its range …): 400."""


class CampaignNotFound(CampaignError, NotFound):
    """No such campaign, assignment, submission or evidence file: 404."""


class CampaignForbidden(CampaignError, Forbidden):
    """The caller may not see or change this (another department, own submission): 403."""


class CampaignConflict(CampaignError, Conflict):
    """The submission is not in a state that allows the action (approve a draft …): 409."""


class EvidenceRefused(CampaignError, Unsupported):
    """An evidence file of a type not accepted (by its bytes) or a name that does not match: 415."""


class EvidenceTooLarge(EvidenceRefused, TooLarge):
    """An evidence file larger than the limit, or too many files: 413."""
