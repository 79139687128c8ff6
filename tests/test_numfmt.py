"""The one Python number formatter agrees with the cockpit's (format.js) on the same numbers."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from zhicheng import numfmt

FORMAT_JS = Path(__file__).resolve().parents[1] / "src/zhicheng/cockpit/static/js/format.js"
SAMPLES = [0.0, -0.001, 0.05, 0.15, 1.005, 2.675, 99.97648959184583, 99.94, -0.04, 12345.678, 1234567.891, 0.125,
           62.5, 1e-7, 100.0, 33.35, 7.25, -3.14159, 80000.0]
SHARES = [0.0, 0.005, 0.125, 0.625, 0.62, 0.999, 1.0, 0.335]


def test_known_values() -> None:
    assert numfmt.score(99.97648959184583) == "100.0"
    assert numfmt.score(None) == numfmt.DASH and numfmt.amount(float("nan")) == numfmt.DASH
    assert numfmt.amount(1234567.891) == "1,234,567.89" and numfmt.amount(80000.0) == "80,000.00"
    assert numfmt.percent(0.625) == "63%" and numfmt.interval((2, 5)) == "2–5"
    assert numfmt.round_to(99.97648959184583, 1) == 100.0


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_same_text_as_the_cockpit() -> None:
    script = (f"import('{FORMAT_JS.as_uri()}').then(f => console.log(JSON.stringify({{"
              f"score: {json.dumps(SAMPLES)}.map(v => f.score(v)),"
              f"amountZh: {json.dumps(SAMPLES)}.map(v => f.amount(v, 'zh')),"
              f"amountEn: {json.dumps(SAMPLES)}.map(v => f.amount(v, 'en')),"
              f"percent: {json.dumps(SHARES)}.map(v => f.percent(v))}})))")
    out = json.loads(subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True,
                                    check=True).stdout)
    assert [numfmt.score(v) for v in SAMPLES] == out["score"]
    assert [numfmt.amount(v, "zh") for v in SAMPLES] == out["amountZh"]
    assert [numfmt.amount(v, "en") for v in SAMPLES] == out["amountEn"]
    assert [numfmt.percent(v) for v in SHARES] == out["percent"]
