"""The cockpit's ES modules form no import cycle (checked by madge from npm, package.json devDependencies)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from zhicheng.cockpit import STATIC_DIR

ROOT = Path(__file__).resolve().parents[2]
MADGE = ROOT / "node_modules" / ".bin" / "madge"


def _cycles(folder: Path) -> list[list[str]]:
    if not MADGE.exists():
        pytest.fail(f"{MADGE} missing: run `npm ci` (make install does)")
    done = subprocess.run(
        [str(MADGE), "--circular", "--json", "--extensions", "js", str(folder)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.stdout.strip(), done.stderr
    cycles: list[list[str]] = json.loads(done.stdout)
    return cycles


def test_the_cockpit_scripts_have_no_module_cycle() -> None:
    js = STATIC_DIR / "js"
    found = _cycles(js)
    assert found == [], f"module cycles in {js}: {found}"
    # The check can fail: every page module is seen (a cycle among them would be reported).
    graph = subprocess.run([str(MADGE), "--json", "--extensions", "js", str(js)],
                           capture_output=True, text=True, timeout=120, check=True)
    modules = json.loads(graph.stdout)
    assert {"app.js", "state.js", "pages/overview.js", "campaign/app.js", "campaign/state.js"} <= set(modules)
    assert "state.js" in modules["pages/overview.js"] and "pages/overview.js" in modules["app.js"]


def test_madge_reports_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text('import { b } from "./b.js";\nexport const a = 1 + b;\n', encoding="utf-8")
    (tmp_path / "b.js").write_text('import { a } from "./a.js";\nexport const b = a;\n', encoding="utf-8")
    assert _cycles(tmp_path) == [["a.js", "b.js"]]
