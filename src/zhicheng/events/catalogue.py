"""The service catalogue: Open311 services, their definitions (attributes), departments and SLAs.

The packaged ``services.yaml`` is the default; a city points ``ZHICHENG_EVENTS_CATALOGUE`` at its
own file with the same layout. Loading validates the whole file and reports every problem.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zhicheng.errors import Problem
from zhicheng.events.errors import CatalogueError, EventError, EventNotFound
from zhicheng.settings import Settings

PACKAGED = Path(__file__).with_name("services.yaml")
#: Catalogues shipped with the platform, by the name a jurisdiction selects them with.
PACKAGED_CATALOGUES: dict[str, Path] = {
    "default": PACKAGED,
    "cn-12345": Path(__file__).with_name("catalogue_cn12345.yaml"),
}

Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AttributeValue(_Frozen):
    """One allowed answer of a list attribute."""

    key: str
    name_zh: str
    name_en: str


class Attribute(_Frozen):
    """One question of a service definition (Open311 ``attribute``)."""

    code: str
    datatype: Datatype
    required: bool = False
    variable: bool = True
    description_zh: str
    description_en: str
    datatype_description: str | None = None
    values: tuple[AttributeValue, ...] = ()


class DuplicateRule(_Frozen):
    """Two reports of one service are duplicates within ``radius_m`` [m] and ``window_hours`` [h]."""

    radius_m: float = Field(gt=0)
    window_hours: float = Field(gt=0)


class Department(_Frozen):
    """A department that handles events."""

    code: str
    name_zh: str
    name_en: str


class Service(_Frozen):
    """One Open311 service with its department, SLA and duplicate rule."""

    code: str
    name_zh: str
    name_en: str
    group: str
    keywords: tuple[str, ...] = ()
    department: str
    sla_hours: float = Field(gt=0)
    duplicate: DuplicateRule
    description_zh: str | None = None
    description_en: str | None = None
    attributes: tuple[Attribute, ...] = ()
    la311_types: tuple[str, ...] = ()

    @property
    def has_metadata(self) -> bool:
        """True when the service has a definition (attributes) to fetch."""
        return bool(self.attributes)


class Catalogue(_Frozen):
    """Every service and department of the city."""

    version: str
    services: tuple[Service, ...]
    departments: tuple[Department, ...]
    name_zh: str | None = None
    name_en: str | None = None

    def service(self, code: str) -> Service:
        """The service ``code``; :class:`EventError` (404) when unknown."""
        found = self._by_code().get(code)
        if found is None:
            raise EventNotFound(f"unknown service_code {code!r}")
        return found

    def has(self, code: str) -> bool:
        """True when ``code`` names a service."""
        return code in self._by_code()

    def _by_code(self) -> dict[str, Service]:
        return {s.code: s for s in self.services}

    def la311_map(self) -> dict[str, str]:
        """LA 311 ``RequestType`` → service code."""
        return {t: s.code for s in self.services for t in s.la311_types}

    def sla_hours(self) -> dict[str, float]:
        """Service code → SLA [h]."""
        return {s.code: s.sla_hours for s in self.services}


def _merge_defaults(raw: dict[str, Any]) -> dict[str, Any]:
    defaults = raw.get("defaults") or {}
    services = []
    for entry in raw.get("services") or []:
        if isinstance(entry, dict):
            entry = {**entry}
            entry.setdefault("sla_hours", defaults.get("sla_hours"))
            entry.setdefault("duplicate", defaults.get("duplicate"))
        services.append(entry)
    return {"version": str(raw.get("version", "")), "services": services,
            "departments": raw.get("departments") or [], "name_zh": raw.get("name_zh"),
            "name_en": raw.get("name_en")}


def _cross_checks(cat: Catalogue, file: str) -> list[Problem]:
    problems: list[Problem] = []
    depts = {d.code for d in cat.departments}
    seen: set[str] = set()
    la_seen: dict[str, str] = {}
    for i, s in enumerate(cat.services):
        where = f"services[{i}]"
        if s.code in seen:
            problems.append(Problem(f"{where}: service code {s.code!r} appears twice", file))
        seen.add(s.code)
        if s.department not in depts:
            problems.append(Problem(f"{where}: department {s.department!r} is not in departments", file))
        for a in s.attributes:
            lists = a.datatype in ("singlevaluelist", "multivaluelist")
            if lists and not a.values:
                problems.append(Problem(f"{where}: attribute {a.code!r} is a list without values", file))
            if not lists and a.values:
                problems.append(Problem(f"{where}: attribute {a.code!r} of type {a.datatype} has values", file))
        for t in s.la311_types:
            if t in la_seen:
                problems.append(Problem(f"{where}: LA 311 type {t!r} already mapped to {la_seen[t]!r}", file))
            la_seen[t] = s.code
    return problems


def parse_catalogue(text: str, file: str = "<catalogue>") -> Catalogue:
    """Validate catalogue YAML ``text``; :class:`CatalogueError` lists every problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(problems=[Problem(f"not valid YAML: {exc}", file)]) from None
    if not isinstance(raw, dict):
        raise CatalogueError(problems=[Problem("the catalogue must be a mapping", file)])
    try:
        cat = Catalogue.model_validate(_merge_defaults(raw))
    except ValidationError as exc:
        problems = [
            Problem(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}", file) for e in exc.errors()
        ]
        raise CatalogueError(problems=problems) from None
    problems = _cross_checks(cat, file)
    if problems:
        raise CatalogueError(problems=problems)
    return cat


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> Catalogue:
    return parse_catalogue(Path(path).read_text(encoding="utf-8"), path)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The catalogue at ``path``, cached until the file changes.

    Default: the city's own catalogue named by ``ZHICHENG_EVENTS_CATALOGUE``, else the packaged one,
    so every caller (Open311, the workflow API, the CLI, the replay, sensor alerts) sees the same.
    """
    p = Path(path or Settings().events_catalogue or PACKAGED)
    return _load_cached(str(p), p.stat().st_mtime)


def jurisdictions(settings: Settings | None = None) -> dict[str, str]:
    """Every jurisdiction id the server knows → the catalogue it uses (packaged name or path).

    The packaged catalogues answer to their own names (``default``, ``cn-12345``); the setting
    ``ZHICHENG_EVENTS_JURISDICTIONS`` (JSON, e.g. ``{"beijing.gov.cn": "cn-12345", "110100":
    "cn-12345"}``) adds a city's jurisdiction ids or unit codes.
    """
    settings = settings or Settings()
    return {**{name: name for name in PACKAGED_CATALOGUES}, **settings.events_jurisdictions}


def catalogue_for(jurisdiction_id: str | None, settings: Settings | None = None) -> Catalogue:
    """The catalogue of ``jurisdiction_id``; without one, the server's default catalogue.

    Raises :class:`EventNotFound` (404) for an unknown id, as GeoReport v2 lists "404 -
    jurisdiction_id provided was not found".
    """
    settings = settings or Settings()
    if not jurisdiction_id:
        return load_catalogue(settings.events_catalogue or PACKAGED)
    target = jurisdictions(settings).get(jurisdiction_id)
    if target is None:
        raise EventNotFound(f"jurisdiction_id {jurisdiction_id!r} not found")
    if target == "default":
        return load_catalogue(settings.events_catalogue or PACKAGED)
    return load_catalogue(PACKAGED_CATALOGUES.get(target, Path(target)))


def _check_one(a: Attribute, value: str, problems: list[Problem]) -> str | float:
    keys = {v.key for v in a.values}
    if a.datatype == "number":
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            problems.append(Problem(f"attribute[{a.code}] must be a number, got {value!r}", column=a.code))
        return number
    if a.datatype == "datetime":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            problems.append(Problem(f"attribute[{a.code}] must be a W3C datetime, got {value!r}", column=a.code))
        return value
    if a.datatype in ("singlevaluelist", "multivaluelist") and value not in keys:
        problems.append(Problem(
            f"attribute[{a.code}] must be one of {', '.join(sorted(keys))}, got {value!r}", column=a.code))
    if a.datatype == "string" and len(value) > 500:
        problems.append(Problem(f"attribute[{a.code}] is longer than 500 characters", column=a.code))
    return value


def validate_attributes(service: Service, answers: dict[str, list[str]]) -> dict[str, Any]:
    """Check ``answers`` (code → submitted values) against ``service``'s definition.

    Returns the cleaned answers (numbers as floats, multi-value lists as lists). Raises
    :class:`EventError` listing every unknown code, missing required answer and bad value.
    """
    problems: list[Problem] = []
    by_code = {a.code: a for a in service.attributes}
    for code in answers:
        if code not in by_code:
            problems.append(Problem(f"attribute[{code}] is not defined for service {service.code!r}", column=code))
    out: dict[str, Any] = {}
    for a in service.attributes:
        values = [v for v in answers.get(a.code, []) if v != ""]
        if not values:
            if a.required:
                problems.append(Problem(f"attribute[{a.code}] is required", column=a.code))
            continue
        if a.datatype != "multivaluelist" and len(values) > 1:
            problems.append(Problem(f"attribute[{a.code}] takes one value, got {len(values)}", column=a.code))
        checked = [_check_one(a, v, problems) for v in values]
        out[a.code] = checked if a.datatype == "multivaluelist" else checked[0]
    if problems:
        raise EventError(problems=problems)
    return out
