"""SensorThings reads of Observations across the hot window and the archive: one series.

Every request is answered once from the store alone, then again after the older observations
moved to the archive; the answers (values, counts, pages followed through nextLink) must agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.archive.archive_support import add_observations
from zhicheng.api import create_app
from zhicheng.archive import service
from zhicheng.archive.location import Location

QUERIES = [
    "",
    "?$top=50&$count=true",
    "?$orderby=phenomenonTime desc&$top=200&$count=true",
    "?$orderby=result desc,phenomenonTime asc&$top=300",
    "?$filter=phenomenonTime ge 2016-02-25T00:00:00Z and phenomenonTime lt 2016-04-10T00:00:00Z"
    "&$orderby=phenomenonTime&$top=500&$count=true",
    "?$filter=result gt 100 or result lt 1.5&$count=true&$top=1000",
    "?$filter=phenomenonTime lt 2016-03-01T00:00:00Z&$skip=37&$top=25&$count=true",
    "?$select=result,phenomenonTime&$orderby=phenomenonTime&$skip=2000&$top=400",
]


def _follow(client: TestClient, url: str, pages: int = 40) -> tuple[list[Any], Any, int]:
    """Every value of a collection, following nextLink; the first page's count; pages read."""
    got = client.get(url)
    assert got.status_code == 200, got.text
    doc = got.json()
    values, count, n = list(doc["value"]), doc.get("@iot.count"), 1
    while "@iot.nextLink" in doc and n < pages:
        doc = client.get(doc["@iot.nextLink"]).json()
        values += doc["value"]
        n += 1
    return values, count, n


@pytest.mark.slow
def test_reads_across_the_archive_boundary_equal_the_store_alone(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(db_url)
    engine = app.state.engine
    add_observations(engine)
    monkeypatch.delenv("ZHICHENG_ARCHIVE", raising=False)
    paths = ["/v1.1/Datastreams(1)/Observations", "/v1.1/Datastreams(4)/Observations",
             "/v1.1/FeaturesOfInterest(1)/Observations"]
    with TestClient(app) as client:
        before = {(p, q): _follow(client, p + q) for p in paths for q in QUERIES}
        top_level = _follow(client, "/v1.1/Observations?$filter=phenomenonTime lt 2016-01-20T00:00:00Z"
                                    "&$orderby=result,id&$top=333&$count=true")
        archive = tmp_path / "archive"
        report = service.run(engine, Location.open(str(archive)), 30)
        assert report.rows > 10_000
        monkeypatch.setenv("ZHICHENG_ARCHIVE", str(archive))
        for (p, q), (values, count, pages) in before.items():
            got_values, got_count, got_pages = _follow(client, p + q)
            assert got_count == count, (p, q)
            assert got_values == values, (p, q)
            assert got_pages == pages, (p, q)
        assert _follow(client, "/v1.1/Observations?$filter=phenomenonTime lt 2016-01-20T00:00:00Z"
                               "&$orderby=result,id&$top=333&$count=true") == top_level
        # The archive answered: the oldest observation of Datastream 1 is no longer in the store.
        oldest = client.get("/v1.1/Datastreams(1)/Observations?$orderby=phenomenonTime&$top=1").json()
        assert oldest["value"][0]["phenomenonTime"] == before[(paths[0], QUERIES[0])][0][0]["phenomenonTime"]
        # Related entities are not filtered on archived rows: a clear 400.
        bad = client.get("/v1.1/Datastreams(1)/Observations?$filter=Datastream/name eq 'x'")
        assert bad.status_code == 400 and "own" in bad.text
        assert client.get("/v1.1/Datastreams(1)/Observations?$expand=Datastream").status_code == 400
    engine.dispose()
