"""The CLI starts fast: importing it, and `zhicheng --help`, load none of the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

#: Loaded only by the commands that need them (each costs from 0.1 s to seconds at start-up).
HEAVY = ("scipy", "pandas", "numpy", "SALib", "fastapi", "sqlalchemy", "alembic", "pydantic",
         "zhicheng.api", "zhicheng.store", "zhicheng.index", "zhicheng.air", "zhicheng.evaluate",
         "zhicheng.workspace")

PROBE = """
import json, sys
import zhicheng.cli
loaded = {"import": [m for m in HEAVY if m in sys.modules]}
try:
    zhicheng.cli.app(["--help"], prog_name="zhicheng")
except SystemExit as exit:
    loaded["exit"] = exit.code
loaded["help"] = [m for m in HEAVY if m in sys.modules]
print(json.dumps(loaded))
"""


def _probe(code: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{code}"], capture_output=True, text=True,
                         check=True, timeout=60)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_cli_and_its_help_load_nothing_heavy() -> None:
    assert _probe(PROBE) == {"import": [], "exit": 0, "help": []}


def test_the_probe_sees_a_heavy_import() -> None:
    found = _probe("import json, sys\nimport zhicheng.index\n"
                   "print(json.dumps({'loaded': [m for m in HEAVY if m in sys.modules]}))")
    assert {"pandas", "scipy", "zhicheng.index"} <= set(found["loaded"])  # type: ignore[arg-type]
