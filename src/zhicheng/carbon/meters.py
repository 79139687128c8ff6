"""Energy meter readings → consumption per period → scope-1/2 emissions.

A meter reports either a **cumulative** register (kWh, m³ or GJ counted since installation, as
emoncms' accumulating feeds do) or **interval** readings (the consumption of each reading's
interval). Consumption per period:

- cumulative: the register interpolated linearly at each period boundary, differenced —
  ``E(t_k, t_{k+1}) = R(t_{k+1}) − R(t_k)``; boundaries outside the readings give no value; a
  register that goes down (meter reset or exchange) is reported and that step counts as zero;
- interval: the sum of the readings whose time falls in the period.

Emissions: consumption [meter unit] × factor [kg CO2 per meter unit] / 1000 = t CO2, with the
versioned factor of the carrier (``catalogue/emission_factors.yaml``): electricity and purchased
heat are scope 2, natural gas burnt on site is scope 1.

References
----------
GHG Protocol Scope 2 Guidance (2015) §6 (location-based method: grid average factor); IPCC 2006
Guidelines Vol. 2 Ch. 2 eq. 2.1 (emissions = fuel consumed × emission factor).
"""

from __future__ import annotations

import numpy as np

from zhicheng.carbon.catalogue import EmissionFactor

#: Meter units accepted per carrier (unitOfMeasurement symbols, lower-cased).
CARRIER_UNITS: dict[str, frozenset[str]] = {
    "electricity": frozenset({"kwh"}),
    "natural_gas": frozenset({"m3", "m³", "nm3"}),
    "heat": frozenset({"gj"}),
}


def carrier_of(unit_symbol: str) -> str | None:
    """The energy carrier a meter unit belongs to (``kWh`` → electricity), or None."""
    symbol = unit_symbol.strip().lower()
    for carrier, symbols in CARRIER_UNITS.items():
        if symbol in symbols:
            return carrier
    return None


def consumption(times: np.ndarray, values: np.ndarray, edges: np.ndarray, *, kind: str = "cumulative") -> tuple[np.ndarray, int]:
    """Consumption in each period ``[edges[k], edges[k+1])`` from one meter's readings.

    Parameters
    ----------
    times
        Reading times [any monotone unit, e.g. µs since 1970], ascending.
    values
        Readings [meter unit]: the register (``cumulative``) or the interval's consumption (``interval``).
    edges
        Period boundaries, ascending, same unit as ``times``.
    kind
        ``cumulative`` (a register) or ``interval`` (consumption per reading).

    Returns
    -------
    (numpy.ndarray, int)
        Consumption per period [meter unit] (NaN where a cumulative register does not cover the
        period) and the number of register decreases found (resets, counted as zero).

    References
    ----------
    Linear interpolation of an accumulating register at the period boundaries (the way
    OpenEnergyMonitor emoncms derives kWh per day from a cumulative kWh feed).
    """
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    e = np.asarray(edges, dtype=float)
    if kind == "interval":
        idx = np.searchsorted(e, t, side="right") - 1
        ok = (idx >= 0) & (idx < len(e) - 1)
        return np.bincount(idx[ok], weights=v[ok], minlength=len(e) - 1).astype(float), 0
    if len(t) == 0:
        return np.full(len(e) - 1, np.nan), 0
    steps = np.diff(v)
    resets = int((steps < 0).sum())
    # A reset restarts the register: rebuild a monotone register from the non-negative steps.
    register = np.concatenate([[v[0]], v[0] + np.cumsum(np.where(steps < 0, 0.0, steps))])
    at = np.interp(e, t, register)
    at[(e < t[0]) | (e > t[-1])] = np.nan
    return np.diff(at), resets


def emissions_t(consumed: np.ndarray, factor: EmissionFactor) -> np.ndarray:
    """Emissions [t CO2] of ``consumed`` [factor's meter unit] with ``factor`` [kg CO2 per unit].

    References
    ----------
    IPCC 2006 Guidelines Vol. 2 Ch. 2, eq. 2.1; GHG Protocol Scope 2 Guidance (2015), location-based.
    """
    return np.asarray(consumed, dtype=float) * factor.kg_co2_per_unit / 1000.0
