"""The core-hour estimator (benchmarks/estimate_core_hours.py): dry-run parsing, per-job medians with their
fallbacks, budget scaling, MuJoCo extrapolation, and the committed table of a real default run."""

import sys

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import estimate_core_hours as estimator  # noqa: E402


def settings(rl_steps: int, epochs: int = 10, transitions: int = 1000, expert_steps: int = 1000) -> dict:
    return {
        "rl": {"total_timesteps": rl_steps},
        "bc": {"epochs": epochs},
        "bc_data": {"n_transitions": transitions},
        "expert": {"total_timesteps": expert_steps},
    }


REFERENCE = {
    "task_settings": {"CartPole-v1": settings(100_000), "InvertedPendulum-v5": settings(60_000)},
    "representations": {"masked_input": {"total_timesteps": 1000}},
    "baselines": {"levels": [4, 8]},
}
TARGET = {
    "task_settings": {"CartPole-v1": settings(200_000, epochs=20), "Hopper-v5": settings(1_000_000)},
    "representations": {"masked_input": {"total_timesteps": 1000}},
    "baselines": {"levels": [1, 2, 3, 4, 5]},
}
TIMES = [
    ("imp_level", "rl", "CartPole-v1", 10.0),
    ("imp_level", "rl", "CartPole-v1", 12.0),
    ("imp_level", "rl", "CartPole-v1", 11.0),
    ("imp_level", "bc", "CartPole-v1", 3.0),
    ("imp_level", "rl", "InvertedPendulum-v5", 30.0),
    ("imp_table", None, None, 2.0),
]


def test_jobs_are_timed_by_rule_task_and_paradigm_and_scaled_by_budget():
    jobs = [
        ("imp_level", {"paradigm": "rl", "task": "CartPole-v1", "seed": "0", "level": "1"}),
        ("imp_level", {"paradigm": "bc", "task": "CartPole-v1", "seed": "0", "level": "1"}),
        ("baseline_level", {"paradigm": "rl", "task": "CartPole-v1", "condition": "mask_permuted"}),
        ("imp_table", {}),
        ("eb_dense", {"task": "CartPole-v0", "rep": "0"}),
    ]
    rows = estimator.estimate(jobs, estimator.medians(TIMES), TARGET, REFERENCE)
    # RL: median 11 s at 1e5 steps -> 22 s at 2e5; BC: 3 s at 10 epochs -> 6 s at 20; tables are not scaled.
    assert rows["imp_level"]["seconds"] == pytest.approx(22.0 + 6.0)
    assert rows["baseline_level"]["seconds"] == pytest.approx(22.0)  # no job of its own: timed as a level
    assert rows["imp_table"]["seconds"] == pytest.approx(2.0)
    assert rows["eb_dense"] == {"jobs": 1, "unknown": 1, "seconds": 0.0, "sources": {"unknown"}}


def test_a_chain_job_counts_its_levels():
    chain = [("baseline_chain", {"paradigm": "rl", "task": "CartPole-v1", "condition": "mask_permuted", "seed": "0"})]
    # Timed as a level (no baseline job measured): 5 target levels of 22 s.
    assert estimator.estimate(chain, estimator.medians(TIMES), TARGET, REFERENCE)["baseline_chain"][
        "seconds"
    ] == pytest.approx(5 * 22.0)
    # Measured per level: 5 levels of the baseline's own 8 s (4 s at half the budget).
    per_level = [*TIMES, ("baseline_level", "rl", "CartPole-v1", 4.0)]
    assert estimator.estimate(chain, estimator.medians(per_level), TARGET, REFERENCE)["baseline_chain"][
        "seconds"
    ] == pytest.approx(5 * 8.0)
    # Measured as chains of the reference's 2 levels (10 s): 5/2 of a chain.
    per_chain = [*TIMES, ("baseline_chain", "rl", "CartPole-v1", 10.0)]
    assert estimator.estimate(chain, estimator.medians(per_chain), TARGET, REFERENCE)["baseline_chain"][
        "seconds"
    ] == pytest.approx(2.5 * 20.0)


def test_an_unmeasured_mujoco_task_is_extrapolated_per_step_from_a_measured_one():
    jobs = [("imp_level", {"paradigm": "rl", "task": "Hopper-v5", "seed": "0", "level": "0"})]
    row = estimator.estimate(jobs, estimator.medians(TIMES), TARGET, REFERENCE)["imp_level"]
    assert row["seconds"] == pytest.approx(30.0 * 1_000_000 / 60_000)
    assert row["sources"] == {"extrapolated from InvertedPendulum-v5"}


def test_times_table_round_trip_and_dry_run_parsing(tmp_path):
    path = tmp_path / "times.csv"
    estimator.write_times(path, TIMES, "a test")
    assert path.read_text().startswith("# Wall time of every job of a test")
    assert sorted(estimator.read_times(path), key=str) == sorted(TIMES, key=str)
    listing = """
rule imp_level:
    output: results/imp/rl/CartPole-v1/seed0/level1/mask.pt
    wildcards: paradigm=rl, task=CartPole-v1, seed=0, level=1
localrule all:
    input: results/tables/imp.csv
"""
    assert estimator.parse_dry_run(listing) == [
        ("imp_level", {"paradigm": "rl", "task": "CartPole-v1", "seed": "0", "level": "1"})
    ]
    assert estimator.job_key("imp_level/bc/CartPole-v1/seed0/level3") == ("imp_level", "bc", "CartPole-v1")


def test_the_committed_table_is_a_real_run_of_the_default_config():
    times = estimator.read_times(estimator.DEFAULT_TIMES)
    rules = {rule for rule, *_ in times}
    assert {"imp_level", "baseline_level", "train_expert", "eb_pruned", "supervised_level"} <= rules
    assert all(seconds > 0 for *_, seconds in times)
    header = estimator.DEFAULT_TIMES.read_text().splitlines()[0]
    assert "config.yaml" in header
