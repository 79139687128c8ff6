"""Energy meters over SensorThings: consumption per period and scope-1/2 emissions.

All readings here are synthetic (generated in the test); the demo uses no meter data.
"""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from zhicheng.carbon import catalogue, meters, service
from zhicheng.store import init_store
from zhicheng.store import schema_sensing as s

HOUR = 3_600_000_000  # µs


def test_cumulative_register_interpolated_at_period_edges() -> None:
    times = np.array([0, 10, 20, 30]) * HOUR
    register = np.array([100.0, 110.0, 130.0, 160.0])  # kWh
    used, resets = meters.consumption(times, register, np.array([0, 15, 30]) * HOUR)
    np.testing.assert_allclose(used, [20.0, 40.0])  # R(15) = 120 by linear interpolation
    assert resets == 0


def test_a_register_reset_counts_as_zero_and_is_reported() -> None:
    times = np.array([0, 1, 2, 3]) * HOUR
    used, resets = meters.consumption(times, np.array([5.0, 7.0, 1.0, 4.0]), np.array([0, 3]) * HOUR)
    assert resets == 1 and used[0] == pytest.approx(2.0 + 3.0)


def test_interval_readings_are_summed_and_uncovered_periods_are_nan() -> None:
    times = np.array([1, 2, 5]) * HOUR
    used, _ = meters.consumption(times, np.array([1.0, 2.0, 4.0]), np.array([0, 3, 6]) * HOUR, kind="interval")
    np.testing.assert_allclose(used, [3.0, 4.0])
    gap, _ = meters.consumption(times, np.array([1.0, 2.0, 4.0]), np.array([0, 3, 9]) * HOUR)
    assert np.isnan(gap[1])


def test_emission_factors_are_versioned_data() -> None:
    grid = catalogue.factor_for("electricity", 2024)
    assert grid.id == "cn-grid-2022" and grid.scope == "2" and grid.source
    gas = catalogue.factor_for("natural_gas")
    # 56,100 kg/TJ × 38.931 MJ/m³ (IPCC 2006 Table 2.2; GB/T 2589-2020) = 2.184 kg CO2/m³.
    assert gas.kg_co2_per_unit == pytest.approx(56.1 * 38.931 / 1000, abs=5e-4)
    assert meters.emissions_t(np.array([1000.0]), grid)[0] == pytest.approx(0.5366)


def _meter(conn: sa.Connection, name: str, symbol: str, building: str, readings: list[tuple[int, float]],
           kind: str = "cumulative") -> None:
    thing = conn.execute(s.sta_things.insert().values(name=name, description="synthetic test meter",
                                                      properties={"building": building})).inserted_primary_key[0]
    sensor = conn.execute(s.sta_sensors.insert().values(name="meter", description="synthetic",
                                                        encoding_type="text/plain")).inserted_primary_key[0]
    prop = conn.execute(s.sta_observed_properties.insert().values(name="energy", definition="urn:energy",
                                                                  description="energy")).inserted_primary_key[0]
    ds = conn.execute(s.sta_datastreams.insert().values(
        name=f"{name} {symbol}", description="synthetic", unit_of_measurement={"symbol": symbol},
        observation_type="OM_Measurement", properties={"meter": kind}, thing_id=thing, sensor_id=sensor,
        observed_property_id=prop)).inserted_primary_key[0]
    foi = conn.execute(s.sta_features_of_interest.insert().values(name="site", description="synthetic",
                                                                  encoding_type="application/geo+json",
                                                                  feature={"type": "Point", "coordinates": [0, 0]})
                       ).inserted_primary_key[0]
    conn.execute(s.sta_observations.insert(), [{"datastream_id": ds, "feature_of_interest_id": foi,
                                                "phenomenon_time_start": t, "result_number": v} for t, v in readings])


def test_meter_emissions_from_the_sensorthings_tables(db_url: str) -> None:
    engine = init_store(db_url)
    base = 1_704_067_200_000_000  # 2024-01-01T00:00Z [µs]
    day = 24 * HOUR
    with engine.begin() as conn:
        _meter(conn, "A-electricity", "kWh", "A", [(base + k * day, 1000.0 + 500.0 * k) for k in range(3)])
        _meter(conn, "A-gas", "m3", "A", [(base + k * day, 10.0 * k) for k in range(3)])
        _meter(conn, "B-heat", "GJ", "B", [(base + 12 * HOUR, 3.0), (base + 36 * HOUR, 5.0)], kind="interval")
    got = service.meter_emissions(engine, [base, base + day, base + 2 * day]).set_index(["thing", "period_start_us"])
    elec = got.loc[("A-electricity", base)]
    assert elec["consumption"] == pytest.approx(500.0) and elec["scope"] == "2"
    assert elec["t_co2"] == pytest.approx(500.0 * 0.5366 / 1000)
    gas = got.loc[("A-gas", base + day)]
    assert gas["scope"] == "1" and gas["t_co2"] == pytest.approx(10.0 * 2.184 / 1000)
    heat = got.loc[("B-heat", base + day)]
    assert heat["consumption"] == pytest.approx(5.0) and heat["t_co2"] == pytest.approx(5.0 * 0.110)
    assert set(got["building"]) == {"A", "B"}
