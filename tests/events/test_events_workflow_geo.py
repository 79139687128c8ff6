"""The state machine and the geometry (distances, point-in-polygon) of the events service."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tests.events.events_fixtures import square
from zhicheng.api.errors import http_status
from zhicheng.events.errors import TransitionError
from zhicheng.events.geo import EARTH_RADIUS_M, grid_cells_from, haversine_m
from zhicheng.events.workflow import (
    CLOSED_STATES,
    OPEN_STATES,
    STATES,
    TRANSITIONS,
    check_transition,
    open311_status,
)


def test_every_state_maps_to_open311_and_has_a_way_out() -> None:
    assert set(OPEN_STATES) | set(CLOSED_STATES) == set(STATES)
    assert not set(OPEN_STATES) & set(CLOSED_STATES)
    assert [open311_status(s) for s in ("submitted", "in_progress", "resolved", "closed", "rejected")] == [
        "open", "open", "closed", "closed", "closed"]
    assert set(TRANSITIONS) == set(STATES)
    for targets in TRANSITIONS.values():
        assert targets and set(targets) <= set(STATES)


def test_the_main_path_is_allowed_and_shortcuts_are_not() -> None:
    path = ["submitted", "accepted", "dispatched", "in_progress", "resolved", "closed", "reopened", "dispatched"]
    for a, b in zip(path, path[1:], strict=False):
        check_transition(a, b)
    for a, b in [("closed", "in_progress"), ("submitted", "closed"), ("rejected", "closed"),
                 ("resolved", "in_progress")]:
        with pytest.raises(TransitionError) as info:
            check_transition(a, b)
        assert http_status(info.value) == 409
    with pytest.raises(TransitionError) as info:
        check_transition("submitted", "done")
    assert http_status(info.value) == 400


def test_haversine_reference_values() -> None:
    # One degree of arc on a sphere of radius R = 6 371 008.8 m is pi/180 * R = 111 195.08 m.
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(math.pi / 180 * EARTH_RADIUS_M, rel=1e-12)
    # Quarter meridian (pole to equator): pi/2 * R.
    assert haversine_m(0.0, 10.0, 90.0, 10.0) == pytest.approx(math.pi / 2 * EARTH_RADIUS_M, rel=1e-12)
    # Beijing Tiananmen (39.9087 N, 116.3975 E) to Shanghai People's Square (31.2304 N, 121.4737 E):
    # about 1 068 km, as great-circle distance calculators give it; 0.3 % covers sphere vs ellipsoid.
    assert haversine_m(39.9087, 116.3975, 31.2304, 121.4737) == pytest.approx(1_068_000, rel=0.003)
    got = haversine_m(0.0, 0.0, np.array([0.0, 0.0]), np.array([1.0, -1.0]))
    np.testing.assert_allclose(got, [111_195.08, 111_195.08], atol=0.01)


def test_point_in_polygon_handles_holes_multiparts_and_outside_points() -> None:
    g1 = {"type": "Polygon", "coordinates": [square(0, 0, 10, 10), square(4, 4, 6, 6)]}
    g2 = {"type": "MultiPolygon", "coordinates": [[square(10, 0, 12, 2)], [square(20, 20, 22, 22)]]}
    tri = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[30, 0], [40, 0], [35, 10], [30, 0]]]}}
    cells = grid_cells_from([("A", json.dumps(g1)), ("B", json.dumps(g2)), ("T", json.dumps(tri)),
                             ("X", "not json"), ("E", json.dumps({"type": "Point", "coordinates": [1, 1]}))])
    assert cells.codes == ("A", "B", "T")
    lon = [1.0, 5.0, 11.0, 21.0, 35.0, 31.0, -1.0, 15.0]
    lat = [1.0, 5.0, 1.0, 21.0, 5.0, 9.0, 5.0, 15.0]
    assert cells.locate(lon, lat) == ["A", None, "B", "B", "T", None, None, None]
    # Vectorised over many points: a 101 x 101 lattice over A's square; the hole is 4..6 (exclusive edges).
    xs, ys = np.meshgrid(np.linspace(0.05, 9.95, 101), np.linspace(0.05, 9.95, 101))
    found = np.array(cells.locate(xs.ravel(), ys.ravel()), dtype=object)
    in_hole = (xs.ravel() > 4) & (xs.ravel() < 6) & (ys.ravel() > 4) & (ys.ravel() < 6)
    assert (found[in_hole] == None).all()  # noqa: E711 - elementwise on an object array
    assert (found[~in_hole] == "A").all()
