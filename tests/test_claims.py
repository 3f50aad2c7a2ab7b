"""claims.csv: each claim of docs/protocol.md §3 measured from synthetic tidy tables whose answer is known."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rltickets.infra.config import describe_run
from rltickets.summary.claims import (
    COLUMNS,
    INCONCLUSIVE,
    NOT_REPRODUCED,
    REPRODUCED,
    claims_table,
    critical_sparsity_claims,
    early_bird_claims,
    mask_share_claims,
    verdict,
)

TOLERANCES = {"performance": 0.05, "length": 0.1}


def test_verdict_reads_the_interval_against_the_null():
    assert verdict(0.1, 0.3, n=5, min_n=3) == REPRODUCED
    assert verdict(-0.3, -0.1, n=5, min_n=3) == NOT_REPRODUCED
    assert verdict(-0.1, 0.3, n=5, min_n=3) == INCONCLUSIVE
    assert verdict(0.6, 0.9, n=5, min_n=3, null=0.5) == REPRODUCED
    assert verdict(0.1, 0.3, n=2, min_n=3) == INCONCLUSIVE  # too few seeds, whatever the interval
    assert verdict(np.nan, np.nan, n=0, min_n=3).startswith("not tested")


def imp_frame(rl_drop_level: dict[int, int], bc_drop_level: dict[int, int], levels: int = 6) -> pd.DataFrame:
    """Per seed, normalised best performance 1 until `drop_level`, then 0.2."""
    rows = []
    for paradigm, drops in (("rl", rl_drop_level), ("bc", bc_drop_level)):
        for seed, drop in drops.items():
            for level in range(levels + 1):
                rows.append(
                    dict(task="T-v0", paradigm=paradigm, seed=seed, level=level)
                    | dict(percent_remaining=100 * 0.6**level, normalised_best=1.0 if level < drop else 0.2)
                )
    return pd.DataFrame(rows)


def test_claim1_pairs_critical_levels_by_seed():
    imp = imp_frame({0: 2, 1: 3, 2: 2}, {0: 5, 1: 5, 2: 4})
    (row,) = critical_sparsity_claims(imp, threshold=0.95, min_n=3)
    assert row["effect"] == pytest.approx(((4 - 1) + (4 - 2) + (3 - 1)) / 3)
    assert row["n"] == 3 and row["ci95_low"] > 0 and row["verdict"] == REPRODUCED
    (reverse,) = critical_sparsity_claims(imp_frame({0: 5, 1: 5, 2: 4}, {0: 2, 1: 3, 2: 2}), 0.95, 3)
    assert reverse["verdict"] == NOT_REPRODUCED


def test_claim1_is_inconclusive_when_both_paradigms_never_drop():
    (row,) = critical_sparsity_claims(imp_frame({0: 99, 1: 99, 2: 99}, {0: 99, 1: 99, 2: 99}), 0.95, 3)
    assert row["effect"] == 0 and row["verdict"].startswith(INCONCLUSIVE)


def conditions_frame(permuted_value: float, seeds=(0, 1, 2)) -> pd.DataFrame:
    rows = []
    values = {"mask_weights": 0.9, "mask_permuted": permuted_value, "random_reinit": 0.1, "permuted_permuted": 0.1}
    for seed in seeds:
        for level in (2, 4):
            for condition, value in values.items():
                rows.append(
                    dict(task="T-v0", paradigm="bc", seed=seed, level=level, condition=condition)
                    | dict(normalised_best=value + 0.01 * seed)
                )
    return pd.DataFrame(rows)


def test_claim2_mask_share_against_one_half():
    (high,) = mask_share_claims(conditions_frame(0.8), min_gap=0.1, min_n=3)
    assert high["effect"] == pytest.approx(0.7 / 0.8) and high["verdict"] == REPRODUCED
    (low,) = mask_share_claims(conditions_frame(0.2), min_gap=0.1, min_n=3)
    assert low["verdict"] == NOT_REPRODUCED


def eb_runs(task: str, early_bird_fractions: set[float], repetitions: int = 3) -> pd.DataFrame:
    """Unpruned 190 / 100 episodes, winning tickets at e=100; retrains at e=20 that match (an EB ticket) for
    the fractions in `early_bird_fractions` and fail (test return 50) for the others."""
    rows = []
    for rep in range(repetitions):
        base = dict(task=task, repetition=rep, reached_early_stopping=True, similarity_to_winning_ticket=0.9)
        rows.append(base | dict(experiment="unpruned", prune_fraction=0.0, prune_episode=np.nan))
        rows[-1] |= dict(test_return=190.0, train_episodes=100)
        for p in (0.2, 0.8):
            rows.append(base | dict(experiment="winning_ticket", prune_fraction=p, prune_episode=100))
            rows[-1] |= dict(test_return=190.0, train_episodes=100)
            good = p in early_bird_fractions
            rows.append(base | dict(experiment="rewind", prune_fraction=p, prune_episode=20))
            rows[-1] |= dict(test_return=195.0 if good else 50.0, train_episodes=90 if good else 500)
    return pd.DataFrame(rows)


def test_claim5_compares_with_the_thesis_per_task_and_p():
    runs = pd.concat([eb_runs("CartPole-v0", {0.2, 0.8}), eb_runs("Acrobot-v1", {0.2, 0.8})])
    rows = early_bird_claims(runs, {"CartPole-v0": [0, 200], "Acrobot-v1": [0, 200]}, TOLERANCES, min_n=3)
    verdicts = {(r["task"], r["paradigm"]): r["verdict"] for r in rows}
    assert verdicts[("CartPole-v0", "P=0.2")] == REPRODUCED and verdicts[("CartPole-v0", "P=0.8")] == REPRODUCED
    assert verdicts[("Acrobot-v1", "P=0.2")] == REPRODUCED
    assert verdicts[("Acrobot-v1", "P=0.8")] == NOT_REPRODUCED  # the thesis found none at P = 0.8
    few = early_bird_claims(eb_runs("CartPole-v0", {0.2}, repetitions=2), {"CartPole-v0": [0, 200]}, TOLERANCES, 3)
    assert {r["verdict"] for r in few} == {INCONCLUSIVE} and {r["n"] for r in few} == {2}


def test_claims_table_leaves_out_stages_not_run():
    table = claims_table(min_n=3, imp=imp_frame({0: 2, 1: 3, 2: 2}, {0: 5, 1: 5, 2: 4}))
    assert list(table.columns) == COLUMNS and table["claim_id"].tolist() == ["1"]


def test_run_description_names_what_was_run(default_config):
    text = describe_run(default_config)
    assert f"seeds 0-{default_config['seeds'][-1]}" in text and "Reconstructions [R]" in text
    assert all(task in text for task in default_config["tasks"])


def test_every_report_caption_says_what_was_run():
    """Each report item's caption ends with the run description (rules pass it as params.run)."""
    repo = Path(__file__).resolve().parents[1]
    captions = {p.name for p in (repo / "report").glob("*.rst")} - {"workflow.rst"}
    missing = [c for c in sorted(captions) if "snakemake.params.run" not in (repo / "report" / c).read_text()]
    assert not missing
    blocks = [b for p in (repo / "rules").glob("*.smk") for b in re.split(r"(?m)^(?=rule )", p.read_text())]
    reported = [b.split(":")[0] for b in blocks if "report(" in b]
    assert len(reported) >= 15
    assert [b.split(":")[0] for b in blocks if "report(" in b and "run=RUN_DESCRIPTION" not in b] == []
