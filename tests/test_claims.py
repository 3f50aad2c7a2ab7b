"""claims.csv: each claim of docs/protocol.md §3 measured from synthetic tidy tables whose answer is known."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rltickets.core.statistics import verdict_from_p
from rltickets.infra.config import describe_run
from rltickets.summary.claims import (
    COLUMNS,
    INCONCLUSIVE,
    NOT_REPRODUCED,
    REPRODUCED,
    SHOWN,
    ClaimRules,
    claims_markdown,
    claims_table,
    critical_sparsity_claims,
    early_bird_claims,
    mask_share_claims,
    split_claims,
)

TOLERANCES = {"performance": 0.05, "length": 0.1}
FIVE = (0, 1, 2, 3, 4)


def test_verdict_reads_the_one_sided_tests_against_the_null():
    # (n, p of "greater", p of "less"): the test in the claimed direction decides, from min_n on.
    assert verdict_from_p(5, 0.03, 0.99, min_n=5, alpha=0.05) == REPRODUCED
    assert verdict_from_p(5, 0.99, 0.03, min_n=5, alpha=0.05) == NOT_REPRODUCED
    assert verdict_from_p(5, 0.2, 0.9, min_n=5, alpha=0.05) == INCONCLUSIVE
    assert verdict_from_p(5, 0.99, 0.03, min_n=5, alpha=0.05, claimed="less") == REPRODUCED
    assert verdict_from_p(4, 0.001, 0.99, min_n=5, alpha=0.05) == INCONCLUSIVE  # too few seeds, whatever the p
    assert verdict_from_p(0, np.nan, np.nan, min_n=5, alpha=0.05).startswith("not tested")


def imp_frame(rl_drop_level: dict[int, int], bc_drop_level: dict[int, int], levels: int = 6, disconnected=()):
    """Per seed, normalised best performance 1 until `drop_level`, then 0.2; the last three evaluations' mean
    (last3) drops one level earlier. `disconnected` lists (paradigm, seed, level) networks flagged disconnected."""
    rows = []
    for paradigm, drops in (("rl", rl_drop_level), ("bc", bc_drop_level)):
        for seed, drop in drops.items():
            for level in range(levels + 1):
                rows.append(
                    dict(task="T-v0", paradigm=paradigm, seed=seed, level=level)
                    | dict(percent_remaining=100 * 0.6**level, normalised_best=1.0 if level < drop else 0.2)
                    | dict(normalised_last3=1.0 if level < drop - 1 else 0.2)
                    | dict(disconnected=(paradigm, seed, level) in disconnected)
                )
    return pd.DataFrame(rows)


def test_claim1_pairs_critical_levels_by_seed_under_best_and_last3():
    imp = imp_frame({0: 2, 1: 3, 2: 2, 3: 2, 4: 3}, {0: 5, 1: 5, 2: 4, 3: 4, 4: 6})
    best, last3 = critical_sparsity_claims(imp, threshold=0.95, rules=5)
    assert (best["metric"], last3["metric"]) == ("best", "last3")
    assert best["effect"] == pytest.approx((3 + 2 + 2 + 2 + 3) / 5)
    assert best["n"] == 5 and best["ci95_low"] > 0 and best["verdict"] == REPRODUCED
    assert best["p_value"] == pytest.approx(1 / 32) and best["agreement"] == "5 of 5 seeds agree"
    assert last3["effect"] == pytest.approx(best["effect"]) and last3["verdict"] == REPRODUCED
    reverse, _ = critical_sparsity_claims(imp_frame({0: 5, 1: 5, 2: 4, 3: 4, 4: 6}, {s: 2 for s in FIVE}), 0.95, 5)
    assert reverse["verdict"] == NOT_REPRODUCED and reverse["k_agree"] == 0
    # Three seeds: every one agrees, but the exact test cannot reach alpha 0.05 (p = 1/8) and n < min_n.
    few, _ = critical_sparsity_claims(imp_frame({0: 2, 1: 3, 2: 2}, {0: 5, 1: 5, 2: 4}), 0.95, 5)
    assert few["verdict"] == INCONCLUSIVE and few["agreement"] == "3 of 3 seeds agree"


def test_claim1_counts_a_disconnected_level_as_a_failure_and_reports_it():
    drops = {s: 5 for s in FIVE}
    # BC seed 0 is disconnected at level 2 although its return stays high: its critical level ends at 1.
    imp = imp_frame({s: 2 for s in FIVE}, drops, disconnected={("bc", 0, 2), ("bc", 0, 3)})
    best, _ = critical_sparsity_claims(imp, 0.95, 5)
    assert best["effect"] == pytest.approx((0 + 3 * 4) / 5) and best["disconnected"] == 2
    assert "disconnected levels (counted as failures): RL 0, BC 2" in best["detail"]
    assert best["k_agree"] == 4 and best["verdict"] == INCONCLUSIVE  # 4 of 5 agree: p = 2/32 > 0.05


def test_claim1_is_inconclusive_when_both_paradigms_never_drop():
    row, _ = critical_sparsity_claims(imp_frame({0: 99, 1: 99, 2: 99}, {0: 99, 1: 99, 2: 99}), 0.95, 3)
    assert row["effect"] == 0 and row["verdict"].startswith(INCONCLUSIVE)


def conditions_frame(permuted_value: float, seeds=FIVE, disconnected=()) -> pd.DataFrame:
    rows = []
    values = {"mask_weights": 0.9, "mask_permuted": permuted_value, "random_reinit": 0.1, "permuted_permuted": 0.3}
    for seed in seeds:
        for level in (2, 4):
            for condition, value in values.items():
                rows.append(
                    dict(task="T-v0", paradigm="bc", seed=seed, level=level, condition=condition)
                    | dict(normalised_best=value + 0.01 * seed)
                    | dict(disconnected=(condition, seed, level) in disconnected)
                )
    return pd.DataFrame(rows)


def test_claim2_mask_share_against_one_half():
    (high,) = mask_share_claims(conditions_frame(0.8), min_gap=0.1, rules=5)
    assert high["effect"] == pytest.approx(0.7 / 0.8) and high["verdict"] == REPRODUCED
    (low,) = mask_share_claims(conditions_frame(0.2), min_gap=0.1, rules=5)
    assert low["verdict"] == NOT_REPRODUCED
    (few,) = mask_share_claims(conditions_frame(0.8, seeds=(0, 1, 2)), min_gap=0.1, rules=5)
    assert few["verdict"] == INCONCLUSIVE and few["agreement"] == "3 of 3 seeds agree"


def test_claim2_leaves_out_levels_with_a_disconnected_ticket_and_keeps_disconnected_baselines():
    lost = {("mask_weights", 0, 4), ("mask_permuted", 0, 4), ("random_reinit", 1, 2)}
    (row,) = mask_share_claims(conditions_frame(0.8, disconnected=lost), min_gap=0.1, rules=5)
    assert row["disconnected"] == 3 and row["n"] == 5
    assert "1 seed x level pairs with a disconnected ticket left out; 3 disconnected networks" in row["detail"]


def test_three_way_split_adds_up_to_the_ticket_effect():
    rows = split_claims(conditions_frame(0.8), rules=5)
    parts = {r["measurement"].split(":")[0]: r for r in rows}
    assert set(parts) == {"init_values", "mask_structure", "layer_ratios"}
    assert parts["init_values"]["effect"] == pytest.approx(0.9 - 0.8)
    assert parts["mask_structure"]["effect"] == pytest.approx(0.8 - 0.3)
    assert parts["layer_ratios"]["effect"] == pytest.approx(0.3 - 0.1)
    assert sum(r["effect"] for r in rows) == pytest.approx(0.9 - 0.1)  # ticket - random/reinit
    assert {r["verdict"] for r in rows} == {SHOWN} and {r["n"] for r in rows} == {5}


def eb_runs(task: str, early_bird: dict, repetitions: int = 5, episodes=(20, 40, 60)) -> pd.DataFrame:
    """Unpruned 190 / 100 episodes, winning tickets at e=100. `early_bird[(experiment, P)]` = {e_prune: number of
    repetitions that match (an EB ticket: 195 in 90 episodes)}; the others fail (test return 50, 500 episodes)."""
    rows = []
    for rep in range(repetitions):
        base = dict(task=task, repetition=rep, reached_early_stopping=True, similarity_to_winning_ticket=0.9)
        rows.append(base | dict(experiment="unpruned", prune_fraction=0.0, prune_episode=np.nan))
        rows[-1] |= dict(test_return=190.0, train_episodes=100)
        for p in (0.2, 0.4, 0.8):
            rows.append(base | dict(experiment="winning_ticket", prune_fraction=p, prune_episode=100))
            rows[-1] |= dict(test_return=190.0, train_episodes=100)
            for experiment in ("rewind", "finetune"):
                good = early_bird.get((experiment, p), {})
                for e in episodes:
                    ok = rep < good.get(e, 0)
                    rows.append(base | dict(experiment=experiment, prune_fraction=p, prune_episode=e))
                    rows[-1] |= dict(test_return=195.0 if ok else 50.0, train_episodes=90 if ok else 500)
    return pd.DataFrame(rows)


def everywhere(n=5, episodes=(20, 40, 60)):
    return dict.fromkeys(episodes, n)


def test_claim5_compares_each_experiment_with_the_thesis():
    cartpole = {(x, p): everywhere() for x in ("rewind", "finetune") for p in (0.2, 0.4, 0.8)}
    acrobot = {("rewind", 0.2): everywhere(), ("finetune", 0.2): everywhere(), ("finetune", 0.4): everywhere()}
    runs = pd.concat([eb_runs("CartPole-v0", cartpole), eb_runs("Acrobot-v1", acrobot)])
    bounds = {"CartPole-v0": [0, 200], "Acrobot-v1": [0, 200]}
    rows = early_bird_claims(runs, bounds, TOLERANCES, rules=5)
    verdicts = {(r["task"], r["paradigm"]): r["verdict"] for r in rows}
    assert len(rows) == 2 * 2 * 3 and set(verdicts.values()) == {REPRODUCED}
    # Acrobot with an EB ticket in Exp 2 at P = 0.4: the thesis found one only with fine-tuning.
    acrobot[("rewind", 0.4)] = everywhere()
    rows = early_bird_claims(eb_runs("Acrobot-v1", acrobot), bounds, TOLERANCES, rules=5)
    verdicts = {r["paradigm"]: r for r in rows}
    assert verdicts["P=0.4, Exp 2 (retrain m ⊙ θ0)"]["verdict"] == NOT_REPRODUCED
    assert verdicts["P=0.4, Exp 3 (fine-tune m ⊙ θ_e)"]["verdict"] == REPRODUCED
    few = early_bird_claims(eb_runs("CartPole-v0", cartpole, repetitions=2), bounds, TOLERANCES, rules=5)
    assert {r["verdict"] for r in few} == {INCONCLUSIVE} and {r["n"] for r in few} == {2}


def test_claim5_existence_needs_half_the_repetitions_at_two_adjacent_e_prune_values():
    bounds = {"CartPole-v0": [0, 200]}

    def exists(counts: dict) -> tuple[bool, dict]:
        rows = early_bird_claims(eb_runs("CartPole-v0", {("rewind", 0.2): counts}), bounds, TOLERANCES, rules=5)
        row = next(r for r in rows if r["paradigm"].startswith("P=0.2, Exp 2"))
        return row["verdict"] == REPRODUCED, row

    assert not exists({20: 5})[0]  # one e_prune, however good: not two adjacent ones
    assert not exists({20: 5, 60: 5})[0]  # two, but not adjacent (40 lies between them)
    assert not exists({20: 2, 40: 5})[0]  # 2 of 5 repetitions at e = 20: below half
    ok, row = exists({20: 3, 40: 5})
    assert ok and row["effect"] == pytest.approx(3 / 5) and row["agreement"] == "3 of 5 repetitions agree"
    assert "e_prune 20-40" in row["detail"] and row["ci95_low"] < 0.6 < row["ci95_high"]
    # One lucky repetition at every e_prune (an OR over settings would call this an EB ticket): none.
    assert not exists(everywhere(1))[0]


def test_claims_table_leaves_out_stages_not_run():
    table = claims_table(min_n=3, imp=imp_frame({0: 2, 1: 3, 2: 2}, {0: 5, 1: 5, 2: 4}))
    assert list(table.columns) == COLUMNS and table["claim_id"].tolist() == ["1", "1"]
    assert table["metric"].tolist() == ["best", "last3"]
    markdown = claims_markdown(table)
    assert "3 of 3 seeds agree" in markdown and "| disconnected |" in markdown
    with pytest.raises(ValueError, match="unknown claims test"):
        ClaimRules(test="bootstrap")


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
