"""`python -m rltickets progress`: finished levels per chain and the interim critical level of a running study."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

from rltickets.cli import main
from rltickets.infra import layout
from rltickets.infra.config import load_config
from rltickets.summary.progress import finished_prefix, planned_chains, progress


def write_level(results, paradigm, task, seed, level, best, condition=None, wall=1.0):
    """One network's metrics.json at its layout path under `results` (the keys the level jobs write and read)."""
    if condition is None:
        folder = layout.IMP_LEVEL(paradigm=paradigm, task=task, seed=seed, level=level)
    else:
        folder = layout.BASELINE_LEVEL(paradigm=paradigm, task=task, condition=condition, seed=seed, level=level)
    path = results.parent / folder / "metrics.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    metrics = {
        "task": task,
        "paradigm": paradigm,
        "seed": seed,
        "level": level,
        "fraction_remaining": 0.8**level,
        "best_return": best,
        "final_return": best,
        "history": [{"step": 1000, "mean_return": best}],
        "disconnected": False,
        "wall_time_s": wall,
    }
    if condition is not None:
        metrics["condition"] = condition
    path.write_text(json.dumps(metrics))


def write_random(results, task, mean_return):
    path = results.parent / layout.RANDOM_RETURN(task=task)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"task": task, "mean_return": mean_return}))


def test_finished_prefix_keeps_the_levels_every_seed_has_and_stops_at_a_gap():
    rows = pd.DataFrame(
        [("t", "rl", seed, level) for seed in (0, 1) for level in (0, 1, 2)]
        + [("t", "rl", 0, 3)]  # level 3 is still running: only seed 0 has it
        + [("u", "rl", 0, level) for level in (0, 1, 3)],  # a gap at level 2
        columns=["task", "paradigm", "seed", "level"],
    )
    kept = finished_prefix(rows, ["task", "paradigm"])
    assert sorted(kept.loc[kept["task"] == "t", "level"].unique()) == [0, 1, 2]
    assert sorted(kept.loc[kept["task"] == "u", "level"].unique()) == [0, 1]


def test_progress_reports_the_interim_critical_level_as_the_critical_sparsity_table(tmp_path):
    results = tmp_path / layout.RESULTS
    write_random(results, "CartPole-v1", 0.0)
    # RL falls below 0.95 of dense at level 2; BC holds to its last finished level; seed 1's BC level 3 is missing.
    for seed in (0, 1):
        for level, best in enumerate([100.0, 98.0, 90.0, 99.0]):
            write_level(results, "rl", "CartPole-v1", seed, level, best)
        for level in range(4 if seed == 0 else 3):
            write_level(results, "bc", "CartPole-v1", seed, level, 100.0 - level)
        write_level(results, "rl", "CartPole-v1", seed, 1, 97.0, condition="random_reinit")
    report = progress(results)
    chains = report["chains"].set_index("paradigm")
    assert chains.loc["rl", "levels"] == "0-3" and chains.loc["rl", "critical_level"] == 1
    assert not chains.loc["rl", "holding"]
    assert chains.loc["bc", "levels"] == "0-2" and chains.loc["bc", "critical_level"] == 2
    assert chains.loc["bc", "holding"] and chains.loc["bc", "seeds"] == 2
    assert np.isclose(chains.loc["bc", "percent_remaining"], 100 * 0.8**2)
    baselines = report["baselines"]
    assert baselines[["condition", "levels", "seeds"]].values.tolist() == [["random_reinit", "1-1", 2]]
    assert baselines["mean_best_last"].iloc[0] == 97.0


def test_progress_without_the_random_return_says_what_it_needs(tmp_path, capsys):
    results = tmp_path / layout.RESULTS
    write_level(results, "rl", "Acrobot-v1", 0, 0, -80.0)
    assert main(["progress", str(results)]) == 0
    out = capsys.readouterr().out
    assert "Acrobot-v1" in out and "needs results/random/<task>.json" in out


def test_progress_of_a_run_without_levels_names_the_missing_files_and_their_rule(tmp_path, capsys):
    (tmp_path / "results").mkdir()
    assert main(["progress", str(tmp_path / "results")]) == 2
    err = capsys.readouterr().err
    assert "no finished IMP level" in err and "metrics.json" in err and "imp_level" in err
    assert main(["progress", str(tmp_path / "missing")]) == 2
    assert "no such results folder" in capsys.readouterr().err


def test_progress_json_lists_chains_and_baselines(tmp_path, capsys):
    results = tmp_path / layout.RESULTS
    write_random(results, "CartPole-v1", 10.0)
    for level in (0, 1):
        write_level(results, "bc", "CartPole-v1", 0, level, 500.0)
    assert main(["progress", str(results), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["chains"][0]["levels"] == "0-1" and report["chains"][0]["holding"] is True
    assert report["baselines"] == []


def test_progress_says_when_the_ratio_to_dense_is_undefined(tmp_path, capsys):
    results = tmp_path / layout.RESULTS
    write_random(results, "Acrobot-v1", -500.0)
    for level in (0, 1):
        write_level(results, "rl", "Acrobot-v1", 0, level, -500.0)  # dense no better than random
    assert main(["progress", str(results)]) == 0
    assert "undefined: dense is no better than the random policy" in capsys.readouterr().out


def test_progress_against_the_config_lists_chains_not_started_and_the_core_hours_left(tmp_path):
    results = tmp_path / layout.RESULTS
    write_random(results, "CartPole-v1", 0.0)
    for seed in (0, 1):
        for level, wall in enumerate([50.0, 100.0, 300.0]):  # level 0 (dense, no baselines) is not a cost sample
            write_level(results, "rl", "CartPole-v1", seed, level, 500.0, wall=wall)
        for condition in ("mask_permuted", "random_reinit"):
            write_level(results, "rl", "CartPole-v1", seed, 2, 400.0, condition=condition, wall=300.0)
    config = load_config()  # config.yaml: 3 tasks x 2 paradigms, 13 levels
    assert planned_chains(config)[("CartPole-v1", "bc")] == config["imp"]["levels"]
    chains = progress(results, config=config)["chains"].set_index(["task", "paradigm"])
    assert len(chains) == len(config["tasks"]) * len(config["paradigms"])
    cartpole = chains.loc[("CartPole-v1", "rl")]
    # Level 1 cost 2 x 100 s, level 2 cost 2 x 300 s of tickets + 4 x 300 s of baselines: median 1,000 s per level.
    assert cartpole["planned_last_level"] == 13
    assert cartpole["core_hours_left"] == pytest.approx((13 - 2) * 1000.0 / 3600)
    acrobot = chains.loc[("Acrobot-v1", "bc")]
    assert acrobot["seeds"] == 0 and np.isnan(acrobot["core_hours_left"])


def test_progress_command_reads_the_config_as_snakemake_does_in_the_workflow_folder(tmp_path, monkeypatch, capsys):
    shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    (tmp_path / "overlay.yaml").write_text("imp: {levels: 5}\nbaselines: {levels: [4]}\n")
    for level in (0, 1):
        write_level(tmp_path / layout.RESULTS, "bc", "Acrobot-v1", 0, level, -80.0, wall=60.0)
    monkeypatch.chdir(tmp_path)
    assert main(["progress", "--configfile", "overlay.yaml"]) == 0
    out = capsys.readouterr().out
    assert "not started" in out and f"Left: ~{4 * 60 / 3600:.1f} core-hours" in out
    assert main(["progress", "--configfile", "missing.yaml"]) == 2
    assert "no such config file: missing.yaml" in capsys.readouterr().err
    (tmp_path / "overlay.yaml").write_text("imp: {levels: 5}\n")  # the default baselines.levels go up to 13
    assert main(["progress", "--configfile", "overlay.yaml"]) == 2
    assert "baselines.levels" in capsys.readouterr().err


def test_progress_into_a_closed_pipe_exits_without_a_traceback(tmp_path):
    """`python -m rltickets progress | head` stops reading early: no BrokenPipeError traceback on stderr."""
    results = tmp_path / layout.RESULTS
    write_random(results, "CartPole-v1", 10.0)
    write_level(results, "bc", "CartPole-v1", 0, 0, 500.0)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line is written
    proc = subprocess.run(
        [sys.executable, "-m", "rltickets", "progress", str(results)],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    os.close(write_end)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
