"""The core-hour estimator (benchmarks/estimate_core_hours.py): dry-run parsing, per-job medians with their
fallbacks, budget scaling, MuJoCo extrapolation, and the committed table of a real default run."""

import sys

import pytest
from conftest import REPO, load_config

sys.path.insert(0, str(REPO / "benchmarks"))
import estimate_core_hours as estimator  # noqa: E402


def config_with(budgets: dict[str, tuple[int, int]], baseline_levels: list[int]) -> dict:
    """config.yaml with (RL steps, BC epochs) per task, 1000 BC transitions, and the given baseline levels."""
    from snakemake.utils import update_config

    config = load_config()
    for task, (rl_steps, epochs) in budgets.items():
        update_config(
            config["task_settings"].setdefault(task, {}),
            {
                "rl": {"total_timesteps": rl_steps},
                "bc": {"epochs": epochs},
                "bc_data": {"n_transitions": 1000},
                "expert": {"total_timesteps": 1000},
            },
        )
    config["baselines"]["levels"] = baseline_levels
    config["representations"]["masked_input"]["total_timesteps"] = 1000
    return config


REFERENCE = config_with({"CartPole-v1": (100_000, 10), "InvertedPendulum-v5": (60_000, 10)}, [4, 8])
TARGET = config_with({"CartPole-v1": (200_000, 20), "Hopper-v5": (1_000_000, 10)}, [1, 2, 3, 4, 5])
# Per network, as the committed table and a run's benchmark files give them (level jobs divided by their networks).
TIMES = [
    ("imp_level", "rl", "CartPole-v1", 10.0),
    ("imp_level", "rl", "CartPole-v1", 12.0),
    ("imp_level", "rl", "CartPole-v1", 11.0),
    ("imp_level", "bc", "CartPole-v1", 3.0),
    ("imp_level", "rl", "InvertedPendulum-v5", 30.0),
    ("imp_table", None, None, 2.0),
]


def test_level_jobs_are_timed_per_network_and_scaled_by_budget():
    jobs = [
        ("imp_level", {"paradigm": "rl", "task": "CartPole-v1", "level": "0"}),
        ("imp_level", {"paradigm": "bc", "task": "CartPole-v1", "level": "0"}),
        ("imp_level_with_baselines", {"paradigm": "rl", "task": "CartPole-v1", "level": "1"}),
        ("imp_table", {}),
        ("eb_dense", {"task": "CartPole-v0", "rep": "0"}),
    ]
    rows = estimator.estimate(jobs, estimator.medians(TIMES), TARGET, REFERENCE)
    # Per network: RL median 11 s at 1e5 steps -> 22 s at 2e5; BC 3 s at 10 epochs -> 6 s at 20. A level job of
    # config.yaml's 5 seeds trains 5 networks, 20 where the three baselines are trained too.
    assert rows["imp_level"]["seconds"] == pytest.approx(5 * (22.0 + 6.0))
    assert rows["imp_level_with_baselines"]["seconds"] == pytest.approx(20 * 22.0)
    assert rows["imp_table"]["seconds"] == pytest.approx(2.0)
    assert rows["eb_dense"] == {"jobs": 1, "unknown": 1, "seconds": 0.0, "sources": {"unknown"}}


def test_networks_per_job_follow_the_seed_chunks():
    config = load_config("configs/paper.yaml")
    networks = estimator.networks_per_job(config)
    assert networks["imp_level_with_baselines_seeds0_4"] == 5 * 4  # 5 seeds per job, ticket and 3 baselines
    assert networks["imp_level_seeds0_4"] == 5 and networks["rescaled_imp_level_seeds10_14"] == 5
    assert estimator.level_family("imp_level_with_baselines_seeds5_9") == "imp_level"
    assert estimator.level_family("rescaled_imp_level_2") == "rescaled_imp_level"


def test_an_unmeasured_mujoco_task_is_extrapolated_per_step_from_a_measured_one():
    jobs = [("imp_level", {"paradigm": "rl", "task": "Hopper-v5", "level": "0"})]
    row = estimator.estimate(jobs, estimator.medians(TIMES), TARGET, REFERENCE)["imp_level"]
    assert row["seconds"] == pytest.approx(5 * 30.0 * 1_000_000 / 60_000)
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
    assert {"imp_level", "train_expert", "eb_pruned", "supervised_level"} <= rules
    assert all(seconds > 0 for *_, seconds in times)
    header = estimator.DEFAULT_TIMES.read_text().splitlines()[0]
    assert "config.yaml" in header
