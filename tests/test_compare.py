"""tools/compare_runs.py's core: two results/ folders compared tensor by tensor and value by value."""

import shutil

import pandas as pd
import torch

from rltickets.infra import artifacts, tensors
from rltickets.infra.compare import compare_results


def make_run(root, weight=1.0, wall=3.0, cpu="AMD EPYC", torch_version="2.13.0"):
    level = root / "results/imp/rl/CartPole-v1/seed0/level1"
    tensors.save_tensors(level / "weights.pt", {"w": torch.tensor([weight, 2.0])})
    versions = {"torch": torch_version, "cpu": {"model": cpu, "flags": ["avx2"]}}
    metrics = {"best_return": 500.0, "wall_time_s": wall, "history": [{"x": 1}], "versions": versions}
    artifacts.save_json(level / "metrics.json", metrics)
    artifacts.save_csv(root / "results/tables/imp.csv", pd.DataFrame({"level": [1], "wall_time_s": [wall]}))
    artifacts.save_json(root / "results/logs/imp_level/x.json", {"anything": wall})
    return root


def test_identical_runs_differ_only_in_timings(tmp_path):
    a, b = make_run(tmp_path / "a"), make_run(tmp_path / "b", wall=9.0)
    assert compare_results(a, b) == []


def test_a_changed_tensor_value_or_file_is_reported(tmp_path):
    a, b = make_run(tmp_path / "a"), make_run(tmp_path / "b", weight=1.0 + 1e-7)
    assert any("weights.pt: w: tensors differ" in line for line in compare_results(a, b))
    artifacts.save_json(b / "results/imp/rl/CartPole-v1/seed0/level1/metrics.json", {"best_return": 499.0})
    shutil.rmtree(b / "results/tables")
    found = compare_results(a, b)
    assert any("best_return: 500.0 != 499.0" in line for line in found)
    assert any("tables/imp.csv: only in" in line for line in found)


def test_the_machine_a_job_ran_on_is_not_a_difference_but_the_library_versions_are(tmp_path):
    a = make_run(tmp_path / "a")
    assert compare_results(a, make_run(tmp_path / "b", cpu="Intel Xeon")) == []
    found = compare_results(a, make_run(tmp_path / "c", torch_version="2.12.0"))
    assert found == ["imp/rl/CartPole-v1/seed0/level1/metrics.json: .versions.torch: '2.13.0' != '2.12.0'"]
