"""Plain-data views of a framework: the JSON contract and flat tables for CSV / Excel.

These functions build Python values only; writing them to files is the caller's business.
"""

from __future__ import annotations

from typing import Any

from zhicheng.goals.model import Domain, Framework, Indicator, Names, Requirement


def _names(n: Names) -> dict[str, str]:
    return {"zh": n.zh, "en": n.en}


def _indicator_dict(i: Indicator) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": i.id,
        "name": _names(i.name),
        "definition": i.definition,
        "unit": i.unit,
        "direction": i.direction,
        "kind": i.kind,
        "role": i.role,
        "target": i.target,
        "weight": i.weight,
        "standards": list(i.standards),
    }
    if i.band is not None:
        out["band"] = list(i.band)
    if i.plausible is not None:
        out["plausible"] = list(i.plausible)
    if i.aliases:
        out["aliases"] = list(i.aliases)
    if i.source is not None:
        out["source"] = i.source
    return out


def _requirement_dict(r: Requirement) -> dict[str, Any]:
    out: dict[str, Any] = {"id": r.id, "name": _names(r.name), "weight": r.weight}
    if r.description is not None:
        out["description"] = r.description
    out["indicators"] = [_indicator_dict(i) for i in r.indicators]
    return out


def _domain_dict(d: Domain) -> dict[str, Any]:
    out: dict[str, Any] = {"id": d.id, "name": _names(d.name), "weight": d.weight}
    if d.description is not None:
        out["description"] = d.description
    out["requirements"] = [_requirement_dict(r) for r in d.requirements]
    return out


def framework_to_dict(fw: Framework) -> dict[str, Any]:
    """The framework as the JSON contract other tools read.

    ``{"id", "version", "domains": [{"id", "name": {"zh", "en"}, "weight", "requirements":
    [{"id", "name", "weight", "indicators": [{"id", "name", "definition", "unit", "direction",
    "kind", "target", "weight", "standards", …}]}]}]}``, plus ``band`` on indicators that have a
    target band, ``plausible`` where a plausible range is set, and the framework's ``name``,
    ``grades`` (and ``description``/``source`` when set). The result is also a valid single-file
    framework: :func:`zhicheng.goals.load_framework` reads it back to an equal framework.
    """
    out: dict[str, Any] = {"id": fw.id, "version": fw.version, "name": _names(fw.name)}
    if fw.description is not None:
        out["description"] = fw.description
    if fw.source is not None:
        out["source"] = fw.source
    out["grades"] = [{"level": g.level, "name": _names(g.name), "min": g.min} for g in fw.grades]
    out["domains"] = [_domain_dict(d) for d in fw.domains]
    return out


def domain_rows(fw: Framework) -> list[dict[str, Any]]:
    """One row per domain: id, names, weight and counts."""
    return [
        {
            "domain_id": d.id,
            "name_zh": d.name.zh,
            "name_en": d.name.en,
            "weight": d.weight,
            "requirements": len(d.requirements),
            "indicators": sum(len(r.indicators) for r in d.requirements),
        }
        for d in fw.domains
    ]


def requirement_rows(fw: Framework) -> list[dict[str, Any]]:
    """One row per requirement: its domain, id, names, weight and indicator count."""
    return [
        {
            "domain_id": d.id,
            "requirement_id": r.id,
            "name_zh": r.name.zh,
            "name_en": r.name.en,
            "weight": r.weight,
            "indicators": len(r.indicators),
        }
        for d in fw.domains
        for r in d.requirements
    ]


#: Separator of the standards in one table cell.
STANDARDS_SEP = " | "


def indicator_rows(fw: Framework) -> list[dict[str, Any]]:
    """One row per indicator with its domain and requirement columns (for CSV and Excel)."""
    rows = []
    for d in fw.domains:
        for r in d.requirements:
            for i in r.indicators:
                rows.append({
                    "domain_id": d.id,
                    "domain_zh": d.name.zh,
                    "domain_en": d.name.en,
                    "requirement_id": r.id,
                    "requirement_zh": r.name.zh,
                    "requirement_en": r.name.en,
                    "indicator_id": i.id,
                    "name_zh": i.name.zh,
                    "name_en": i.name.en,
                    "definition": i.definition,
                    "unit": i.unit,
                    "direction": i.direction,
                    "kind": i.kind,
                    "role": i.role,
                    "target": i.target,
                    "band_lo": i.band[0] if i.band else None,
                    "band_hi": i.band[1] if i.band else None,
                    "plausible_lo": i.plausible[0] if i.plausible else None,
                    "plausible_hi": i.plausible[1] if i.plausible else None,
                    "weight": i.weight,
                    "domain_weight": d.weight,
                    "requirement_weight": r.weight,
                    "standards": STANDARDS_SEP.join(i.standards),
                })
    return rows
