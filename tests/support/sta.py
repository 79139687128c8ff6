"""Bodies and helpers shared by the SensorThings tests."""

from __future__ import annotations

from typing import Any

OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


def station_body(
    name: str, lon: float = 116.4, lat: float = 39.9, props: tuple[str, ...] = ("PM2.5",)
) -> dict[str, Any]:
    """A Thing with one Location and one Datastream per observed property (deep insert)."""
    return {
        "name": name,
        "description": f"air station {name}",
        "properties": {"station": name, "kind": "air_station"},
        "Locations": [
            {
                "name": f"{name} site",
                "description": "site",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [lon, lat]},
            }
        ],
        "Datastreams": [
            {
                "name": f"{name} {p}",
                "description": f"hourly {p}",
                "observationType": OM_MEASUREMENT,
                "unitOfMeasurement": {
                    "name": "mg/m3" if p == "CO" else "ug/m3",
                    "symbol": "mg/m³" if p == "CO" else "µg/m³",
                    "definition": "ucum",
                },
                "Sensor": {
                    "name": f"{p} analyser",
                    "description": "analyser",
                    "encodingType": "text/plain",
                    "metadata": "none",
                },
                "ObservedProperty": {
                    "name": p,
                    "definition": f"urn:pollutant:{p}",
                    "description": p,
                },
            }
            for p in props
        ],
    }


def data_array(
    ds_id: int, start_hour: int, values: list[float], day: str = "2017-02-01"
) -> list[dict[str, Any]]:
    """A CreateObservations body: hourly values from ``start_hour`` on ``day`` (UTC)."""
    rows = []
    for i, v in enumerate(values):
        h = start_hour + i
        rows.append([f"{day}T{h:02d}:00:00Z" if h < 24 else f"{day}T23:59:{h - 23:02d}Z", v])
    return [
        {
            "Datastream": {"@iot.id": ds_id},
            "components": ["phenomenonTime", "result"],
            "dataArray": rows,
        }
    ]


def auth(token: str) -> dict[str, str]:
    """A bearer header."""
    return {"Authorization": f"Bearer {token}"}
