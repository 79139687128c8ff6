"""Charts drawn server-side by matplotlib: SVG for HTML and PDF, PNG for Word.

A chart is a spec (plain data: ``{"type": "radar", "labels": [...], "values": [...]}``) so that a
:class:`~zhicheng.report.document.Document` stays data and the same spec gives the same picture.
The colours and the 0–100 axes follow the cockpit's charts (``cockpit/static/js/charts.js``). Text
is drawn as paths in a CJK font (Noto Sans CJK, else WenQuanYi Micro Hei), so no glyph is missing
whatever fonts the reader has.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from zhicheng import numfmt

#: The cockpit's accent colours.
ACCENT = "#2f7ed8"
ACCENT2 = "#e8743b"
GRID = "#c8d0da"
TEXT = "#253040"
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Micro Hei", "DejaVu Sans"]
_READY = False


def _setup() -> Any:
    """Matplotlib with the Agg backend, CJK fonts and reproducible SVG output."""
    global _READY
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    if not _READY:
        matplotlib.rcParams.update({
            "font.family": "sans-serif", "font.sans-serif": CJK_FONTS, "axes.unicode_minus": False,
            "svg.fonttype": "path", "svg.hashsalt": "zhicheng-report", "font.size": 9,
            "axes.edgecolor": GRID, "axes.labelcolor": TEXT, "xtick.color": TEXT, "ytick.color": TEXT,
            "text.color": TEXT,
        })
        _READY = True
    return plt


def _finite(values: Sequence[Any]) -> list[float]:
    return [float(v) if v is not None and math.isfinite(float(v)) else math.nan for v in values]


def _radar(ax: Any, spec: dict[str, Any]) -> None:
    labels, values = spec["labels"], _finite(spec["values"])
    n = len(labels)
    angles = [2 * math.pi * i / n for i in range(n)]
    ax.set_theta_offset(math.pi / 2)  # the first domain at the top, then clockwise, as the cockpit's radar
    ax.set_theta_direction(-1)
    ax.set_rlabel_position(180 / n)
    closed = [*angles, angles[0]]
    shown = [0.0 if math.isnan(v) else v for v in values]
    ax.plot(closed, [*shown, shown[0]], color=ACCENT, linewidth=1.6)
    ax.fill(closed, [*shown, shown[0]], color=ACCENT, alpha=0.18)
    ax.set_ylim(0, 100)
    ax.set_yticks([20, 40, 60, 80, 100])
    ax.set_yticklabels(["20", "40", "60", "80", "100"], fontsize=7, color="#7a8797")
    ax.set_xticks(angles)
    ax.set_xticklabels([f"{lab}\n{numfmt.score(v)}" for lab, v in zip(labels, values, strict=True)])
    ax.grid(color=GRID, linewidth=0.6)


def _bars(ax: Any, spec: dict[str, Any]) -> None:
    labels, values = spec["labels"], _finite(spec["values"])
    ys = list(range(len(labels)))[::-1]
    signed = spec.get("signed", False)
    colors = [ACCENT2 if signed and v < 0 else ACCENT for v in values]
    ax.barh(ys, [0.0 if math.isnan(v) else v for v in values], color=colors, height=0.6)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels)
    if not signed:
        ax.set_xlim(0, 105)
    else:
        ax.axvline(0, color=GRID, linewidth=0.8)
    for y, v in zip(ys, values, strict=True):
        text = numfmt.score(v)
        ax.text(0 if math.isnan(v) else v, y, f" {text}", va="center", fontsize=8)
    if spec.get("xlabel"):
        ax.set_xlabel(spec["xlabel"])
    ax.spines[["top", "right"]].set_visible(False)


def _line(ax: Any, spec: dict[str, Any]) -> None:
    for i, series in enumerate(spec["series"]):
        xs = [str(x) for x in series["x"]]
        ax.plot(xs, _finite(series["y"]), marker="o", markersize=3, linewidth=1.4,
                color=[ACCENT, ACCENT2, "#59a14f", "#b07aa1"][i % 4], label=series["name"])
    if len(spec["series"]) > 1:
        ax.legend(frameon=False, fontsize=8)
    if spec.get("ylabel"):
        ax.set_ylabel(spec["ylabel"])
    ax.tick_params(axis="x", labelrotation=45 if len(spec["series"][0]["x"]) > 8 else 0)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color=GRID, linewidth=0.5)


def _histogram(ax: Any, spec: dict[str, Any]) -> None:
    values = [v for v in _finite(spec["values"]) if not math.isnan(v)]
    ax.hist(values, bins=[i * 10 for i in range(11)], color=ACCENT, edgecolor="white")
    ax.set_xlim(0, 100)
    ax.set_xlabel(spec.get("xlabel", ""))
    ax.set_ylabel(spec.get("ylabel", ""))
    ax.spines[["top", "right"]].set_visible(False)


def _rings(geometry: dict[str, Any]) -> list[list[tuple[float, float]]]:
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    return [[(float(x), float(y)) for x, y, *_ in poly[0]] for poly in polygons if poly]


def _map(ax: Any, spec: dict[str, Any]) -> None:
    import matplotlib as mpl
    from matplotlib.collections import PolyCollection

    cmap = mpl.colormaps["Blues"]
    polys, colors = [], []
    for feature in spec["features"]:
        value = feature.get("value")
        colour = "#eeeeee" if value is None else cmap(0.15 + 0.85 * max(0.0, min(100.0, float(value))) / 100)
        for ring in _rings(feature["geometry"]):
            polys.append(ring)
            colors.append(colour)
    ax.add_collection(PolyCollection(polys, facecolors=colors, edgecolors="white", linewidths=0.3))
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_axis_off()
    sm = mpl.cm.ScalarMappable(norm=mpl.colors.Normalize(0, 100), cmap=cmap)
    ax.figure.colorbar(sm, ax=ax, shrink=0.6, label=spec.get("label", ""))


DRAW = {"radar": _radar, "bars": _bars, "line": _line, "histogram": _histogram, "map": _map}
SIZES = {"radar": (4.6, 4.2), "bars": (4.4, 3.0), "line": (6.0, 2.8), "histogram": (5.6, 2.8), "map": (6.0, 4.6)}


def draw(spec: dict[str, Any], fmt: str = "svg") -> bytes:
    """The chart ``spec`` as SVG (text) or PNG bytes."""
    plt = _setup()
    kind = spec["type"]
    width, height = SIZES[kind]
    if kind == "bars":  # as tall as its bars
        height = min(9.0, 0.8 + 0.32 * len(spec["labels"]))
    fig = plt.figure(figsize=(width, height))
    try:
        ax = fig.add_subplot(111, projection="polar" if kind == "radar" else None)
        DRAW[kind](ax, spec)
        if spec.get("title"):
            ax.set_title(spec["title"], fontsize=10, pad=14 if kind == "radar" else 6)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format=fmt, dpi=150 if fmt == "png" else 72,
                    metadata={"Date": None} if fmt == "svg" else {"Software": None})
        return out.getvalue()
    finally:
        plt.close(fig)


def svg(spec: dict[str, Any], prefix: str = "c") -> str:
    """The chart as SVG text without the XML prolog, its ids prefixed (several charts share one page)."""
    import re

    text = draw(spec, "svg").decode()
    start = text.find("<svg")
    text = text[start:] if start >= 0 else text
    ids = set(re.findall(r'\bid="([^"]+)"', text))
    if not ids:
        return text
    pattern = re.compile(r'(\bid="|#)(' + "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)) + r')(?=["\)])')
    return pattern.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)
