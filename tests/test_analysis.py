"""Tidy tables: normalisation and the critical-sparsity rule, on metrics files written by the package's I/O; run
statistics from Snakemake's benchmark files."""

import numpy as np
import pytest

from rltickets.imp.tables import critical_sparsity, imp_table
from rltickets.infra import artifacts
from rltickets.infra.artifacts import ArtifactError
from rltickets.infra.config import canonical
from rltickets.summary.run_statistics import run_statistics


def write_level(root, paradigm, seed, level, best, task="Acrobot-v1", history=None, disconnected=False):
    path = root / f"imp/{paradigm}/{task}/seed{seed}/level{level}/metrics.json"
    returns = history if history is not None else [best - 5, best, best - 1]
    record = {
        "paradigm": paradigm,
        "task": task,
        "seed": seed,
        "level": level,
        "fraction_remaining": 0.8**level,
        "best_return": best,
        "final_return": best - 1,
        "history": [{"step": i, "mean_return": r} for i, r in enumerate(returns)],
        "disconnected": disconnected,
        "wall_time_s": 1.0,
    }
    artifacts.save_json(path, record)
    return str(path)


@pytest.fixture
def acrobot_table(tmp_path):
    # Negative returns: random -500, dense -100. RL degrades from level 2, BC only at level 4.
    rl = {0: -100, 1: -110, 2: -200, 3: -300, 4: -400}
    bc = {0: -100, 1: -100, 2: -105, 3: -115, 4: -300}
    paths = [write_level(tmp_path, "rl", s, k, v + s) for s in (0, 1) for k, v in rl.items()]
    paths += [write_level(tmp_path, "bc", s, k, v - s) for s in (0, 1) for k, v in bc.items()]
    random_path = tmp_path / "random/Acrobot-v1.json"
    artifacts.save_json(random_path, {"task": "Acrobot-v1", "mean_return": -500.0})
    return imp_table(paths, [str(random_path)])


def test_imp_table_normalises_by_random_and_same_seed_dense(acrobot_table):
    assert len(acrobot_table) == 20
    row = acrobot_table.query("paradigm == 'rl' and seed == 1 and level == 2").iloc[0]
    assert row["dense_best_return"] == -99
    assert row["normalised_best"] == pytest.approx((-199 + 500) / (-99 + 500))
    assert row["percent_remaining"] == pytest.approx(64.0)


def test_imp_table_has_last3_and_the_disconnected_flag(tmp_path):
    history = [-400.0, -150.0, -120.0, -130.0, -170.0]
    paths = [write_level(tmp_path, "rl", 0, 0, -100.0, history=[-300.0, -100.0])]
    paths.append(write_level(tmp_path, "rl", 0, 1, -120.0, history=history, disconnected=True))
    random_path = tmp_path / "random/Acrobot-v1.json"
    artifacts.save_json(random_path, {"task": "Acrobot-v1", "mean_return": -500.0})
    table = imp_table(paths, [str(random_path)]).set_index("level")
    assert table.loc[1, "last3_return"] == pytest.approx((-120 - 130 - 170) / 3)  # the last three evaluations
    assert table.loc[0, "last3_return"] == pytest.approx(-200.0)  # fewer than three: all of them
    # last3 is normalised by the dense level's own last3 (-200 here), not by its best return
    assert table.loc[1, "normalised_last3"] == pytest.approx((-140 + 500) / (-200 + 500))
    assert table.loc[0, "normalised_last3"] == pytest.approx(1.0)
    assert table["disconnected"].tolist() == [False, True]
    assert {"best_return", "final_return", "last3_return", "normalised_final"} <= set(table.columns)
    critical = critical_sparsity(table.reset_index(), 0.5).iloc[0]
    assert critical["n_disconnected"] == 1 and critical["first_disconnected_level"] == 1


def test_critical_sparsity_uses_the_contiguous_passing_levels(acrobot_table):
    table = critical_sparsity(acrobot_table, 0.95).set_index("paradigm")
    # RL: level 1 relative = (-109.5+500)/(-99.5+500) = 0.975 passes, level 2 = 0.75 fails.
    assert table.loc["rl", "critical_level"] == 1
    # BC: levels 1-3 keep >= 95% of (dense - random) span; level 4 fails.
    assert table.loc["bc", "critical_level"] == 3
    assert table.loc["bc", "critical_sparsity_percent"] == pytest.approx(100 - 100 * 0.8**3)
    assert table.loc["rl", "n_seeds"] == 2


def test_dense_no_better_than_random_gives_undefined_critical_sparsity(tmp_path):
    paths = [write_level(tmp_path, "rl", 0, k, 10.0, task="CartPole-v1") for k in range(3)]
    random_path = tmp_path / "random/CartPole-v1.json"
    artifacts.save_json(random_path, {"task": "CartPole-v1", "mean_return": 22.0})
    table = imp_table(paths, [str(random_path)])
    assert table["normalised_best"].isna().all()
    assert np.isnan(critical_sparsity(table, 0.95).iloc[0]["critical_level"])


def test_canonical_params_ignore_key_order():
    a = {"rl": {"eval_episodes": 2, "total_timesteps": 8}, "network": {"actor": [64, 64]}}
    b = {"network": {"actor": [64, 64]}, "rl": {"total_timesteps": 8, "eval_episodes": 2}}
    assert repr(canonical(a)) == repr(canonical(b))


def write_baseline(root, condition, paradigm, seed, level, best, task="Acrobot-v1", disconnected=False):
    path = root / f"baselines/{paradigm}/{task}/{condition}/seed{seed}/level{level}/metrics.json"
    record = {
        "condition": condition,
        "paradigm": paradigm,
        "task": task,
        "seed": seed,
        "level": level,
        "fraction_remaining": 0.8**level,
        "best_return": best,
        "final_return": best,
        "history": [{"step": 0, "mean_return": best}],
        "disconnected": disconnected,
    }
    artifacts.save_json(path, record)
    return str(path)


@pytest.fixture
def conditions(tmp_path, acrobot_table):
    from rltickets.baselines.tables import conditions_table

    # RL tickets: dense -100 (normalised 1), level 2 -200 (0.75), level 4 -400 (0.25); random -500.
    # mask_permuted sits 3/4 of the way from random_reinit to the ticket at level 2, and equals the ticket at 4.
    paths = []
    for seed in (0, 1):
        paths.append(write_baseline(tmp_path, "random_reinit", "rl", seed, 2, -500 + seed))  # 0
        paths.append(write_baseline(tmp_path, "mask_permuted", "rl", seed, 2, -275 + seed))  # 0.5625 = 0.75 * 0.75
        paths.append(write_baseline(tmp_path, "permuted_permuted", "rl", seed, 2, -450 + seed))
        paths.append(write_baseline(tmp_path, "random_reinit", "rl", seed, 4, -480 + seed))  # 0.05: gap 0.2
        paths.append(write_baseline(tmp_path, "mask_permuted", "rl", seed, 4, -400 + seed))
    return conditions_table(acrobot_table, paths)


def test_conditions_table_normalises_baselines_like_their_ticket(conditions):
    rows = conditions.set_index(["condition", "paradigm", "seed", "level"])
    assert set(conditions["condition"]) == {"mask_weights", "mask_permuted", "permuted_permuted", "random_reinit"}
    assert rows.loc[("random_reinit", "rl", 0, 2), "normalised_best"] == pytest.approx(0.0)
    assert rows.loc[("mask_permuted", "rl", 0, 2), "normalised_best"] == pytest.approx(225 / 400)
    assert rows.loc[("mask_weights", "rl", 0, 2), "normalised_best"] == pytest.approx(0.75)
    assert (conditions["action_space"] == "discrete").all()


def test_mask_share_per_level_and_spread(conditions):
    from rltickets.baselines.tables import mask_share, mask_share_per_seed

    per_seed = mask_share_per_seed(conditions, min_gap=0.1).set_index(["paradigm", "seed"]).loc["rl"]
    # level 2: (0.5625 - 0) / (0.75 - 0) = 0.75; level 4: (0.25 - 0.05) / (0.25 - 0.05) = 1 -> mean 0.875
    assert per_seed.loc[0, "mask_share"] == pytest.approx(0.875)
    assert per_seed.loc[0, "n_levels"] == 2
    # A larger min_gap drops level 4 (the ticket beats random/reinit by only 0.2 there).
    deeper = mask_share_per_seed(conditions, min_gap=0.3).set_index(["paradigm", "seed"])
    assert deeper.loc[("rl", 0), "mask_share"] == pytest.approx(0.75)
    # BC has no baselines here: it keeps its rows, with no usable level, instead of vanishing.
    assert deeper.loc[("bc", 0), "n_levels"] == 0 and np.isnan(deeper.loc[("bc", 0), "mask_share"])
    summary = mask_share(conditions, min_gap=0.1).set_index(["task", "paradigm"]).loc[("Acrobot-v1", "rl")]
    assert summary["n_seeds"] == 2 and summary["mask_share_mean"] > 0.5
    assert summary["ci95_low"] <= summary["mask_share_mean"] <= summary["ci95_high"]
    # Both seeds agree, but 2 seeds are below analysis.claims_min_n (5): no verdict at this n (was "> 0.5" under
    # the percentile bootstrap, whose interval of two values is their [min, max]).
    assert summary["verdict"] == "inconclusive at this n" and summary["agreement"] == "2 of 2 seeds agree"


def test_mask_share_table_splits_the_ticket_effect_in_three(conditions):
    from rltickets.baselines.tables import mask_share

    row = mask_share(conditions, min_gap=0.1).set_index(["task", "paradigm"]).loc[("Acrobot-v1", "rl")]
    # Level 2 only (level 4 has no permuted/permuted), normalised: ticket 0.75, mask/permuted 0.5625,
    # permuted/permuted 0.125, random/reinit 0.0 (seed 0; seed 1 is shifted by 1/401 throughout).
    assert row["init_values_mean"] == pytest.approx(0.75 - 0.5625, abs=1e-2)
    assert row["mask_structure_mean"] == pytest.approx(0.5625 - 0.125, abs=1e-2)
    assert row["layer_ratios_mean"] == pytest.approx(0.125, abs=1e-2)
    assert row["init_values_n"] == 2 and row["layer_ratios_k_positive"] == 2
    assert row["n_disconnected"] == 0 and row["test"] == "wilcoxon"


def test_a_disconnected_ticket_level_is_left_out_of_the_mask_share(tmp_path, acrobot_table):
    from rltickets.baselines.tables import conditions_table, mask_share_per_seed

    tickets = acrobot_table.copy()
    tickets.loc[(tickets["paradigm"] == "rl") & (tickets["level"] == 4), "disconnected"] = True
    paths = []
    for seed in (0, 1):
        paths.append(write_baseline(tmp_path, "random_reinit", "rl", seed, 2, -500 + seed, disconnected=True))
        paths.append(write_baseline(tmp_path, "mask_permuted", "rl", seed, 2, -275 + seed))
        paths.append(write_baseline(tmp_path, "random_reinit", "rl", seed, 4, -480 + seed))
        paths.append(write_baseline(tmp_path, "mask_permuted", "rl", seed, 4, -400 + seed, disconnected=True))
    table = conditions_table(tickets, paths)
    assert table["disconnected"].sum() == 2 * 3  # two tickets, two random/reinit, two mask/permuted
    per_seed = mask_share_per_seed(table, min_gap=0.1).set_index(["paradigm", "seed"]).loc["rl"]
    # Level 4 (disconnected ticket) is out; level 2 stays, its disconnected random/reinit at its measured value.
    assert per_seed.loc[0, "levels_used"] == "2" and per_seed.loc[0, "mask_share"] == pytest.approx(0.75)
    assert per_seed.loc[0, "n_levels_ticket_disconnected"] == 1 and per_seed.loc[0, "n_disconnected"] == 3


def test_mask_share_is_undefined_when_the_ticket_never_beats_random_reinit(conditions):
    from rltickets.baselines.tables import mask_share

    summary = mask_share(conditions, min_gap=0.9).set_index(["task", "paradigm"]).loc[("Acrobot-v1", "rl")]
    assert summary["n_seeds"] == 0 and np.isnan(summary["mask_share_mean"])
    assert summary["verdict"].startswith("undefined")


# ---- Run statistics: Snakemake's benchmark files ----
BENCHMARK_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def _benchmark(path, wall, cpu, rss):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BENCHMARK_HEADER + f"{wall}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t1\t{cpu}\n")


def test_run_statistics_sums_wall_and_cpu_time_and_keeps_the_peak_memory_per_rule(tmp_path):
    bench = tmp_path / "benchmarks"
    _benchmark(bench / "imp_level/bc/CartPole-v1/level1.tsv", 3.0, 2.5, 350.0)
    _benchmark(bench / "imp_level/bc/CartPole-v1/level2.tsv", 5.0, 4.0, 318.0)
    _benchmark(bench / "train_expert/CartPole-v1/seed0.tsv", 20.0, 19.0, 400.0)
    table = run_statistics(bench).set_index("rule")
    levels = table.loc["imp_level"]
    assert levels["jobs"] == 2 and levels["wall_total_s"] == pytest.approx(8.0)
    assert levels["cpu_total_s"] == pytest.approx(6.5) and levels["max_rss_mb"] == pytest.approx(350.0)
    assert levels["wall_median_s"] == pytest.approx(4.0) and levels["core_hours"] == pytest.approx(8.0 / 3600)
    assert table.loc["train_expert", "cpu_total_s"] == pytest.approx(19.0)
    assert table["share"].sum() == pytest.approx(1.0)
    assert list(table.index) == ["train_expert", "imp_level"]  # the costliest rule first


def test_corrupt_benchmark_file_names_the_file_and_the_rule(tmp_path):
    path = tmp_path / "results/benchmarks/imp_level/rl/CartPole-v1/level0.tsv"
    path.parent.mkdir(parents=True)
    path.write_text("s\tmax_rss\n3.0\t26.0\n")  # no cpu_time column
    with pytest.raises(ArtifactError, match=r"level0.tsv.*cpu_time.*rule 'imp_level'"):
        run_statistics(tmp_path / "results/benchmarks")


def test_figures_mark_disconnected_networks(conditions):
    from rltickets.baselines.plots import plot_conditions
    from rltickets.imp.plots import plot_rl_vs_bc

    table = conditions.copy()
    table.loc[(table["condition"] == "random_reinit") & (table["level"] == 4), "disconnected"] = True
    tickets = table[table["condition"] == "mask_weights"].copy()
    tickets.loc[tickets["level"] == 4, "disconnected"] = True

    def marked(fig) -> list[str]:
        return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]

    assert "disconnected network (4)" in marked(plot_rl_vs_bc(tickets))  # 2 paradigms x 2 seeds at level 4
    assert "disconnected network (2)" in marked(plot_conditions(table, ["Acrobot-v1"], "t"))
