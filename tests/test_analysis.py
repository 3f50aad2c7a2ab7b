"""Tidy tables: normalisation and the critical-sparsity rule, on metrics files written by the package's I/O."""

import numpy as np
import pytest

from rltickets import artifacts
from rltickets.analysis import critical_sparsity, imp_table
from rltickets.config import canonical


def write_level(root, paradigm, seed, level, best, task="Acrobot-v1"):
    path = root / f"imp/{paradigm}/{task}/seed{seed}/level{level}/metrics.json"
    record = {
        "paradigm": paradigm,
        "task": task,
        "seed": seed,
        "level": level,
        "fraction_remaining": 0.8**level,
        "best_return": best,
        "final_return": best - 1,
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
