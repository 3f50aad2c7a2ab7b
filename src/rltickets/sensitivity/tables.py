"""The claim-1 sensitivity table: per base task, arm, metric and threshold, how many levels longer BC tickets hold
their performance than RL tickets, seed by seed, and the verdict of the claims' own test.

Every arm pairs one RL chain with one BC chain of the same seeds: the arm's variant chain for the paradigms it
retrains, the base chain for the other (an RL-budget arm's BC side is the base BC chain). A seed's critical level is
`rltickets.imp.tables.critical_level_per_seed`, as in claim 1: the last level up to which every level keeps
>= threshold of the seed's dense performance, a disconnected level counting as a failure. Metric (best, last3) and
threshold variants are computed from the stored evaluation histories, at no training cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..core.statistics import INCONCLUSIVE, summarise
from ..imp.tables import critical_level_per_seed
from ..summary.claims import ClaimRules, markdown_number
from .arms import PARADIGMS, ArmPairing

BEYOND_RUN = INCONCLUSIVE + " (both paradigms hold to the sparsest level run)"

COLUMNS = (
    "task",
    "arm",
    "factor",
    "rl_chain",
    "bc_chain",
    "metric",
    "threshold",
    "seed",
    "rl_critical_level",
    "bc_critical_level",
    "difference",
    "rl_disconnected_levels",
    "bc_disconnected_levels",
    "sparsest_level",
    "n",
    "mean_difference",
    "median_difference",
    "k_bc_outlasts",
    "k_rl_outlasts",
    "agreement",
    "test",
    "p_value",
    "verdict",
)


def _summary_columns(differences: pd.Series, sparsest: bool, rules: ClaimRules) -> dict:
    stats = summarise(differences.dropna(), test=rules.test)
    verdict = stats.verdict(rules.min_n, rules.alpha)
    if sparsest:
        verdict = BEYOND_RUN
    return {
        "n": stats.n,
        "mean_difference": stats.mean,
        "median_difference": float(differences.median()) if stats.n else np.nan,
        "k_bc_outlasts": stats.k_greater,
        "k_rl_outlasts": stats.k_less,
        "agreement": f"BC outlasts RL in {stats.k_greater} of {stats.n} seeds",
        "test": rules.test,
        "p_value": stats.p_greater,
        "verdict": verdict,
    }


def _pair_rows(per_seed: pd.DataFrame, chain_of, group: dict, rules: ClaimRules) -> list[dict]:
    """The seed rows of one (task, arm, metric, threshold): RL's and BC's critical levels per seed, and the
    group's summary. `per_seed`: `critical_level_per_seed` indexed by (task, paradigm, seed); `chain_of(task, arm,
    paradigm)`: which chain stands for each paradigm. No rows when a chain is missing (a paradigm not run)."""
    chains = {p: chain_of(group["task"], group["arm"], p) for p in PARADIGMS}
    present = set(per_seed.index.droplevel("seed"))
    if any((chains[p], p) not in present for p in PARADIGMS):
        return []
    sides = {p: per_seed.xs((chains[p], p), level=("task", "paradigm")) for p in PARADIGMS}
    seeds = sorted(set(sides["rl"].index) & set(sides["bc"].index))
    if not seeds:
        return []
    rl, bc = (sides[p].loc[seeds] for p in PARADIGMS)
    differences = bc["critical_level"] - rl["critical_level"]
    sparsest = int(min(rl["sparsest_level"].min(), bc["sparsest_level"].min()))
    both_beyond = bool((rl["critical_level"] == sparsest).all() and (bc["critical_level"] == sparsest).all())
    summary = _summary_columns(differences, both_beyond, rules)
    return [
        {
            **group,
            "rl_chain": chains["rl"],
            "bc_chain": chains["bc"],
            "seed": seed,
            "rl_critical_level": rl.loc[seed, "critical_level"],
            "bc_critical_level": bc.loc[seed, "critical_level"],
            "difference": differences.loc[seed],
            "rl_disconnected_levels": int(rl.loc[seed, "n_disconnected"]),
            "bc_disconnected_levels": int(bc.loc[seed, "n_disconnected"]),
            "sparsest_level": sparsest,
            **summary,
        }
        for seed in seeds
    ]


def sensitivity_table(
    levels: pd.DataFrame,
    tasks: Sequence[str],
    arms: Mapping[str, ArmPairing],
    metrics: Sequence[str],
    thresholds: Sequence[float],
    rules: ClaimRules,
) -> pd.DataFrame:
    """One row per (task, arm, metric, threshold, seed): both paradigms' critical levels, BC − RL, and the group's
    mean and median difference, k of n seeds where BC outlasts RL, the one-sided p of "BC − RL > 0" under the
    claims' test and its verdict (repeated on every seed row of the group).

    `levels`: an imp.csv-like table (`rltickets.imp.tables.imp_table`) of every chain `chains_needed` lists; a
    chain's `task` is its chain id. A seed whose critical level is undefined (dense no better than random) is left
    out of n. When every seed of both chains holds to the sparsest level run, the verdict is inconclusive: the
    difference lies beyond the run.
    """
    rows = []
    for metric in metrics:
        for threshold in thresholds:
            per_seed = critical_level_per_seed(levels, threshold, metric).set_index(["task", "paradigm", "seed"])
            for task in tasks:
                for arm, pairing in arms.items():
                    group = {"task": task, "arm": arm, "factor": pairing.factor, "metric": metric}
                    rows += _pair_rows(per_seed, pairing.chain, group | {"threshold": threshold}, rules)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (task, arm, metric, threshold) of the sensitivity table: its group columns, without the seeds."""
    group = ["task", "arm", "metric", "threshold"]
    keep = [c for c in COLUMNS if c not in ("seed", "rl_critical_level", "bc_critical_level", "difference")]
    keep = [c for c in keep if not c.endswith("disconnected_levels")]
    return table.groupby(group, sort=False, as_index=False).first()[keep]


def verdicts_markdown(table: pd.DataFrame) -> str:
    """The verdicts of sensitivity.csv as a Markdown table for docs/results-sensitivity (one row per task, arm,
    metric and threshold: mean and median BC − RL in levels, k of n, p, verdict)."""
    number = markdown_number
    lines = [
        "| task | arm | factor | metric | threshold | BC − RL levels, mean (median) | BC outlasts RL | RL outlasts BC "
        "| p | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in verdicts(table).to_dict("records"):
        lines.append(
            f"| {r['task']} | {r['arm']} | {r['factor']} | {r['metric']} | {r['threshold']:g} "
            f"| {number(r['mean_difference'])} ({number(r['median_difference'])}) "
            f"| {r['k_bc_outlasts']} of {r['n']} | {r['k_rl_outlasts']} of {r['n']} | {number(r['p_value'])} "
            f"| {r['verdict']} |"
        )
    return "\n".join(lines) + "\n"
