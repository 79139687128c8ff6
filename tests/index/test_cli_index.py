"""`zhicheng index run` / `sensitivity` through the Typer runner, on COINr's ASEM files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from typer.testing import CliRunner

from tests.index.coinr_cases import COINR, read_ref
from zhicheng.cli import app

runner = CliRunner()
V1_YAML = """
steps:
  - treat: {winmax: 5}
  - normalise: {method: minmax, l_u: [0, 100]}
  - aggregate: {method: amean}
"""


def run_cli(tmp_path: Path, config: str, *extra: str) -> tuple[int, str, Path]:
    cfg = tmp_path / "pipeline.yaml"
    cfg.write_text(config, encoding="utf-8")
    out = tmp_path / "out"
    res = runner.invoke(app, ["index", "run", "--data", str(COINR / "ASEM_iData.csv"),
                              "--meta", str(COINR / "ASEM_iMeta.csv"), "--config", str(cfg), "--out", str(out),
                              *extra])
    return res.exit_code, res.output, out


def assert_file_matches(ours: Path, ref_name: str) -> None:
    got, ref = pd.read_csv(ours), read_ref(ref_name)
    assert list(got.columns) == list(ref.columns)
    assert list(got.iloc[:, 0]) == list(ref.iloc[:, 0])
    for c in ref.columns[1:]:
        if ref[c].dtype == object or ref[c].dtype == bool:
            assert list(got[c]) == list(ref[c]), c
        else:
            np.testing.assert_allclose(got[c].to_numpy(float), ref[c].to_numpy(float), rtol=1e-9, atol=1e-11,
                                       err_msg=c)


def test_run_reproduces_v1_files(tmp_path: Path) -> None:
    code, output, out = run_cli(tmp_path, V1_YAML)
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == ["aggregated.csv", "normalised.csv", "ranks.csv", "treated.csv",
                                                     "treated_details.csv"]
    assert_file_matches(out / "treated.csv", "treated_qTreat_winmax5.csv")
    assert_file_matches(out / "treated_details.csv", "treated_qTreat_winmax5_details.csv")
    assert_file_matches(out / "normalised.csv", "v1_treat_minmax_amean_normalised.csv")
    assert_file_matches(out / "aggregated.csv", "v1_treat_minmax_amean_aggregated.csv")
    ranks, ref = pd.read_csv(out / "ranks.csv"), read_ref("v1_treat_minmax_amean_ranks.csv")
    assert list(ranks.columns) == list(ref.columns) and list(ranks["uCode"]) == list(ref["uCode"])
    a, b = ranks.iloc[:, 1:].to_numpy(float), ref.iloc[:, 1:].to_numpy(float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    diff = ~np.isnan(a) & (a != b)
    assert diff.sum() == 1 and ranks.loc[ranks.uCode == "GRC", "TolMin"].item() == 24  # CSV-precision tie, see reproduction test


def test_bad_config_and_bad_data_exit_2(tmp_path: Path) -> None:
    code, output, _ = run_cli(tmp_path, "steps:\n  - normalise: {method: minimax}\n")
    output = " ".join(output.split())
    assert code == 2 and "unknown normalisation method 'minimax'" in output and "Traceback" not in output
    code, output, _ = run_cli(tmp_path, "steps: [\n")
    assert code == 2 and "invalid YAML" in output
    bad = tmp_path / "bad.csv"
    df = read_ref("ASEM_iData.csv")
    df["LPI"] = df["LPI"].astype(object)
    df.loc[0, "LPI"] = "x"
    df.to_csv(bad, index=False)
    cfg = tmp_path / "p.yaml"
    cfg.write_text(V1_YAML, encoding="utf-8")
    res = runner.invoke(app, ["index", "run", "--data", str(bad), "--meta", str(COINR / "ASEM_iMeta.csv"),
                              "--config", str(cfg), "--out", str(tmp_path / "o")])
    flat = " ".join(res.output.split())  # the error console wraps long lines
    assert res.exit_code == 2 and "bad.csv, row 1, column 'LPI': non-numeric value 'x' (unit 'AUT')" in flat


def test_sensitivity_command_writes_tables(tmp_path: Path) -> None:
    cfg = tmp_path / "pipeline.yaml"
    cfg.write_text(V1_YAML, encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "sa_type": "SA", "N": 30, "Nboot": 50, "seed": 1,
        "inputs": [{"name": "Winmax", "stage": "treat", "param": "winmax", "values": [1, 3, 5]},
                   {"name": "Aggregation", "stage": "aggregate", "param": "method", "values": ["amean", "gmean"]},
                   {"name": "Normalisation", "stage": "normalise",
                    "alternatives": [{"method": "minmax", "l_u": [1, 100]}, {"method": "zscore", "m_sd": [10, 2]}]}]}))
    out = tmp_path / "sa"
    res = runner.invoke(app, ["index", "sensitivity", "--data", str(COINR / "ASEM_iData.csv"),
                              "--meta", str(COINR / "ASEM_iMeta.csv"), "--config", str(cfg),
                              "--spec", str(spec), "--out", str(out)])
    assert res.exit_code == 0, res.output
    si = pd.read_csv(out / "sensitivity_indices.csv")
    assert list(si["Variable"]) == ["Winmax", "Aggregation", "Normalisation"]
    assert (si["STi"] >= 0).all()
    assert pd.read_csv(out / "scores.csv").shape == (51, 2 + 30 * 5)
    assert list(pd.read_csv(out / "rank_stats.csv").columns) == ["uCode", "Nominal", "Mean", "Median", "Q5", "Q95"]
