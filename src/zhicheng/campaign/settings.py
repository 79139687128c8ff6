"""Settings of the campaign service: the evidence settings of the one settings class.

The evidence folder and limits (``ZHICHENG_EVIDENCE_DIR``, ``ZHICHENG_EVIDENCE_MAX_BYTES``,
``ZHICHENG_EVIDENCE_MAX_FILES``) are fields of :class:`zhicheng.settings.Settings`;
``CampaignSettings`` is that class under the name the campaign service has always used.
"""

from __future__ import annotations

from zhicheng.settings import DEFAULT_MAX_BYTES, Settings

CampaignSettings = Settings

__all__ = ["DEFAULT_MAX_BYTES", "CampaignSettings"]
