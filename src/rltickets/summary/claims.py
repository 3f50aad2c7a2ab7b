"""The claims of docs/protocol.md §3, measured from the tidy tables: one row per claim and task (and paradigm or P),
with the source's statement, what the pipeline measured, the effect with a 95% bootstrap interval, n and a verdict.

Every verdict comes from `verdict`: "reproduced" when the interval lies on the claimed side of the null value,
"not reproduced" when it lies on the other side, "inconclusive at this n" otherwise or when n < `min_n`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..baselines.tables import mask_share_per_seed
from ..core.statistics import bootstrap_ci
from ..core.tasks import TASKS, patrol_route
from ..earlybird.tables import verdict_table
from ..imp.tables import critical_level_per_seed

COLUMNS = [
    "claim_id",
    "source",
    "statement",
    "task",
    "paradigm",
    "measurement",
    "effect",
    "ci95_low",
    "ci95_high",
    "n",
    "n_unit",
    "verdict",
    "detail",
]
REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive at this n"
NO_DATA = "not tested (no data)"

VISCHER = "Vischer, Lange & Sprekeler (ICLR 2022)"
THESIS = "Early-Bird thesis, §3.4-3.6"
STATEMENTS = {
    "1": (VISCHER + ", Fig. 2", "BC tickets reach a higher critical sparsity than RL tickets"),
    "2": (VISCHER + ", Fig. 1 / poster", "the mask accounts for most of the ticket effect (mask share > 0.5)"),
    "3": (VISCHER + ", Fig. 1 left / poster I", "the input mask prunes task-irrelevant input units first"),
    "4": (VISCHER + ", poster Extra", "init rescaling makes the input masks more consistent across seeds"),
    "5": (THESIS, "EB tickets exist in CartPole for all P, and in Acrobot for P = 0.2 only"),
}
# The thesis' finding per task: for which P an Early-Bird ticket exists.
EB_EXPECTED: dict[str, Callable[[float], bool]] = {
    "CartPole-v0": lambda p: True,
    "Acrobot-v1": lambda p: abs(p - 0.2) < 1e-9,
}


def verdict(low: float, high: float, n: int, min_n: int, null: float = 0.0) -> str:
    """The claim is that the effect exceeds `null`; judged on the 95% interval, and only from `min_n` on."""
    if n == 0 or np.isnan(low) or np.isnan(high):
        return NO_DATA
    if n < min_n:
        return INCONCLUSIVE
    if low > null:
        return REPRODUCED
    if high < null:
        return NOT_REPRODUCED
    return INCONCLUSIVE


def claim_row(claim_id: str, task: str, paradigm: str, measurement: str, **fields: Any) -> dict[str, Any]:
    source, statement = STATEMENTS[claim_id]
    row = dict.fromkeys(COLUMNS, np.nan) | {"claim_id": claim_id, "source": source, "statement": statement}
    return row | {"task": task, "paradigm": paradigm, "measurement": measurement} | fields


def per_seed_row(claim_id, task, paradigm, measurement, values, min_n, null=0.0, unit="seeds", detail=""):
    """A row whose effect is the mean of per-seed values, with their bootstrap interval."""
    values = np.asarray(pd.Series(values, dtype=float).dropna())
    low, high = bootstrap_ci(values)
    return claim_row(
        claim_id,
        task,
        paradigm,
        measurement,
        effect=float(values.mean()) if len(values) else np.nan,
        ci95_low=low,
        ci95_high=high,
        n=len(values),
        n_unit=unit,
        verdict=verdict(low, high, len(values), min_n, null),
        detail=detail,
    )


def critical_sparsity_claims(imp: pd.DataFrame, threshold: float, min_n: int) -> list[dict[str, Any]]:
    """Claim 1, per task: BC's critical level minus RL's, paired by seed (same θ0, the BC expert of that seed)."""
    per_seed = critical_level_per_seed(imp, threshold)
    rows = []
    for task, group in per_seed.groupby("task", sort=True):
        wide = group.pivot(index="seed", columns="paradigm", values="critical_level")
        if not {"rl", "bc"} <= set(wide.columns):
            continue
        wide = wide.dropna(subset=["rl", "bc"])
        percent = group.groupby("paradigm")["critical_percent_remaining"].mean()
        detail = (
            f"critical level (>= {threshold:g} of the seed's dense performance at every level up to it): "
            f"RL mean {wide['rl'].mean():.2f} ({percent.get('rl', np.nan):.1f}% weights left), "
            f"BC mean {wide['bc'].mean():.2f} ({percent.get('bc', np.nan):.1f}% left)"
        )
        measurement = "critical level BC - RL, paired by seed"
        row = per_seed_row("1", task, "bc - rl", measurement, wide["bc"] - wide["rl"], min_n, detail=detail)
        sparsest = int(group["sparsest_level"].min())
        if len(wide) and (wide == sparsest).all().all():
            # Both keep their performance to the last level run: the critical sparsity lies beyond the run.
            row["verdict"] = INCONCLUSIVE + " (both paradigms stay above the threshold to the sparsest level run)"
        rows.append(row)
    return rows


def mask_share_claims(conditions: pd.DataFrame, min_gap: float, min_n: int) -> list[dict[str, Any]]:
    """Claim 2, per task and paradigm: the per-seed mask share (docs/protocol.md §1.4) against 0.5."""
    per_seed = mask_share_per_seed(conditions, min_gap)
    rows = []
    for (task, paradigm), group in per_seed.groupby(["task", "paradigm"], sort=True):
        detail = (
            f"mean over levels where the ticket beats random/reinit by >= {min_gap:g} (normalised); "
            f"{int(group['n_levels'].sum())} level x seed pairs; mask/permuted minus ticket "
            f"{group['mask_permuted_gap'].mean():+.3f} (normalised)"
        )
        measurement = "mask share (mask/permuted - random/reinit) / (ticket - random/reinit)"
        rows.append(per_seed_row("2", task, paradigm, measurement, group["mask_share"], min_n, null=0.5, detail=detail))
    return rows


# ---- Claims 3-4: input masks (the representations stage writes representation_claims.csv with these) ----
def group_gap(frame: pd.DataFrame, relevant: pd.Series, irrelevant: pd.Series) -> pd.Series:
    """Per seed: mean over pruned levels (level >= 1) of [mean survival of relevant units - of irrelevant units].

    Positive means the irrelevant units lose their weights first.
    """
    pruned = frame["level"] >= 1
    by = ["seed", "level"]
    rel = frame[relevant & pruned].groupby(by)["survival"].mean()
    irr = frame[irrelevant & pruned].groupby(by)["survival"].mean()
    return (rel - irr).groupby("seed").mean()


def _representation_claim(
    claim: str, task: str, paradigm: str, statistic: str, per_seed: pd.Series, detail: str
) -> dict[str, Any]:
    per_seed = per_seed.dropna()
    n = len(per_seed)
    effect = float(per_seed.mean()) if n else np.nan
    if n == 0:
        verdict = "not tested (no data)"
    else:
        verdict = "holds" if effect > 0 and (per_seed > 0).mean() > 0.5 else "does not hold"
    low, high = bootstrap_ci(per_seed.to_numpy())
    return {
        "claim": claim,
        "task": task,
        "paradigm": paradigm,
        "statistic": statistic,
        "effect": effect,
        "effect_std": float(per_seed.std()) if n > 1 else np.nan,
        "ci95_low": low,
        "ci95_high": high,
        "n_positive": int((per_seed > 0).sum()),
        "n": n,
        "n_unit": "seeds",
        "n_seeds": n,
        "verdict": verdict,
        "detail": detail,
    }


def grid_cells(frame: pd.DataFrame, task: str) -> tuple[pd.Series, pd.Series]:
    """(border, on-route) masks of an image task's rows (border = outermost ring; route = the enemy's patrol)."""
    rows, cols = TASKS[task].image_size
    border = frame["row"].isin([0, rows - 1]) | frame["col"].isin([0, cols - 1])
    route = {(r, c) for r, c in patrol_route(rows)}
    on_route = pd.Series([(r, c) in route for r, c in zip(frame["row"], frame["col"], strict=True)], index=frame.index)
    return border, on_route


def representation_claims(
    input_mask: pd.DataFrame, consistency: pd.DataFrame, grid_task: str | None, digits_task: str | None
) -> pd.DataFrame:
    """Claims 3 and 4 of docs/protocol.md §3 (and the poster's enemy-route statement), with effect, n and verdict."""
    rows = []
    main = input_mask[input_mask["init_rescaling"] == "none"]
    if digits_task is not None:
        digits = main[main["task"] == digits_task]
        if len(digits):
            size = int(digits["row"].max()) + 1
            rim = digits["row"].isin([0, size - 1]) | digits["col"].isin([0, size - 1])
            rows.append(
                _representation_claim(
                    "3: rim pixels are pruned before the inner pixels",
                    digits_task,
                    "supervised",
                    "mean over levels>=1 of survival(inner) - survival(rim)",
                    group_gap(digits, ~rim, rim),
                    f"{4 * size - 4} rim and {(size - 2) ** 2} inner pixels",
                )
            )
    if grid_task is not None:
        for paradigm, grid in main[main["task"] == grid_task].groupby("paradigm", sort=True):
            border, on_route = grid_cells(grid, grid_task)
            task_channels = grid["channel"].isin(["agent", "goal", "enemy"])
            relevant = task_channels & ~border
            rows.append(
                _representation_claim(
                    "3: the noise distractor channel is pruned before the task channels",
                    grid_task,
                    paradigm,
                    "mean over levels>=1 of survival(agent/goal/enemy inner cells) - survival(noise channel)",
                    group_gap(grid, relevant, grid["channel"] == "noise"),
                    "noise channel: all cells",
                )
            )
            rows.append(
                _representation_claim(
                    "3: border (rim) cells are pruned before inner cells",
                    grid_task,
                    paradigm,
                    "mean over levels>=1 of survival(inner) - survival(border), agent/goal/enemy channels",
                    group_gap(grid, relevant, task_channels & border),
                    "the border never holds the agent, goal or enemy",
                )
            )
            enemy = grid["channel"] == "enemy"
            rows.append(
                _representation_claim(
                    "poster I: the enemy channel keeps the patrol route longest",
                    grid_task,
                    paradigm,
                    "mean over levels>=1 of survival(route cells) - survival(other inner cells), enemy channel",
                    group_gap(grid, enemy & on_route, enemy & ~on_route & ~border),
                    f"{TASKS[grid_task].image_size[0] - 2} route cells",
                )
            )
    rescaled = consistency[consistency["init_rescaling"] != "none"]
    for (rescaling, paradigm, task), group in rescaled.groupby(["init_rescaling", "paradigm", "task"], sort=True):
        base = consistency[
            (consistency["init_rescaling"] == "none")
            & (consistency["paradigm"] == paradigm)
            & (consistency["task"] == task)
        ].set_index("level")
        group = group.set_index("level")
        # Levels where both settings still keep every input in every seed (Jaccard 1 on both sides) carry no
        # information about consistency: they are left out, so n counts the informative levels only.
        levels = [
            k
            for k in group.index
            if k >= 1
            and k in base.index
            and min(group.loc[k, "mean_pairwise_jaccard"], base.loc[k, "mean_pairwise_jaccard"]) < 1
        ]
        gaps = pd.Series(
            [group.loc[k, "mean_pairwise_jaccard"] - base.loc[k, "mean_pairwise_jaccard"] for k in levels],
            index=levels,
            dtype=float,
        )
        row = _representation_claim(
            f"4: init rescaling ({rescaling}) makes input masks more consistent across seeds",
            task,
            paradigm,
            "per level>=1 where an input is pruned: mean pairwise Jaccard of kept sets, rescaled - none",
            gaps,
            f"{int(group['n_seeds'].min())} seeds per setting",
        )
        row["n_unit"] = "levels"  # the unit of the spread: levels, each a Jaccard over all seeds
        row["n_seeds"] = int(group["n_seeds"].min())
        if len(gaps) == 0:
            row["verdict"] = "not tested (no input fully pruned in either setting)"
        rows.append(row)
    columns = ["claim", "task", "paradigm", "statistic", "effect", "effect_std", "ci95_low", "ci95_high"]
    return pd.DataFrame(rows, columns=[*columns, "n_positive", "n", "n_unit", "n_seeds", "verdict", "detail"])


def representation_claim_rows(claims: pd.DataFrame, min_n: int) -> list[dict[str, Any]]:
    """Claims 3 and 4 from representation_claims.csv (effects and intervals computed there, per seed or level)."""
    rows = []
    for record in claims.to_dict("records"):
        claim_id = "4" if record["claim"].startswith("4") else "3"
        n = int(record["n"]) if pd.notna(record["n"]) else 0
        low, high = float(record["ci95_low"]), float(record["ci95_high"])
        # Claim 4 spreads over levels, but its evidence comes from n_seeds seeds: both must reach min_n.
        outcome = verdict(low, high, min(n, int(record["n_seeds"])) if n else 0, min_n)
        rows.append(
            claim_row(
                claim_id,
                record["task"],
                record["paradigm"],
                f"{record['claim']}: {record['statistic']}",
                effect=record["effect"],
                ci95_low=low,
                ci95_high=high,
                n=n,
                n_unit=record["n_unit"],
                verdict=outcome,
                detail=record["detail"],
            )
        )
    return rows


def early_bird_share(runs: pd.DataFrame, return_bounds, tolerances) -> pd.Series:
    """Per P: the share of (experiment, e_prune) settings whose mean run meets all four EB criteria."""
    verdicts = verdict_table(runs, return_bounds, tolerances)
    return verdicts.groupby("prune_fraction")["early_bird"].mean()


def early_bird_claims(
    runs: pd.DataFrame, return_bounds, tolerances, min_n: int, n_resamples: int = 400, seed: int = 0
) -> list[dict[str, Any]]:
    """Claim 5, per task and P: does an EB ticket exist (some e_prune of Exp 2 or 3 meets all four criteria)?

    The spread comes from resampling repetitions (each repetition's dense run, retrains and references stay
    together); a verdict needs the resampled answer to agree with the measured one in >= 95% of resamples.
    """
    rows = []
    rng = np.random.default_rng(seed)
    for task, task_runs in runs.groupby("task", sort=True):
        if task not in EB_EXPECTED:
            continue
        reps = np.sort(task_runs["repetition"].unique())
        share = early_bird_share(task_runs, return_bounds, tolerances)
        samples = []
        if len(reps) >= 2:
            by_rep = {r: task_runs[task_runs["repetition"] == r] for r in reps}
            for _ in range(n_resamples):
                picked = rng.choice(reps, size=len(reps), replace=True)
                resampled = pd.concat([by_rep[r].assign(repetition=i) for i, r in enumerate(picked)])
                samples.append(early_bird_share(resampled, return_bounds, tolerances))
        boot = pd.DataFrame(samples)
        for fraction, value in share.items():
            expected, found = EB_EXPECTED[task](fraction), bool(value > 0)
            if len(boot):
                low, high = np.percentile(boot[fraction], [2.5, 97.5])
                support = float(((boot[fraction] > 0) == found).mean())
            else:
                low = high = float(value)
                support = np.nan
            if len(reps) < min_n or not support >= 0.95:
                outcome = INCONCLUSIVE
            else:
                outcome = REPRODUCED if found == expected else NOT_REPRODUCED
            rows.append(
                claim_row(
                    "5",
                    task,
                    f"P={fraction:g}",
                    "share of (Exp 2/3, e_prune) settings meeting all four EB criteria",
                    effect=float(value),
                    ci95_low=float(low),
                    ci95_high=float(high),
                    n=len(reps),
                    n_unit="repetitions",
                    verdict=outcome,
                    detail=(
                        f"thesis: EB ticket {'exists' if expected else 'does not exist'}; measured: "
                        f"{'exists' if found else 'none'}; bootstrap support of the measured answer {support:.2f}"
                    ),
                )
            )
    return rows


def claims_table(
    *,
    min_n: int,
    imp: pd.DataFrame | None = None,
    critical_threshold: float = 0.95,
    conditions: pd.DataFrame | None = None,
    mask_share_min_gap: float = 0.1,
    representation_claims: pd.DataFrame | None = None,
    earlybird_runs: pd.DataFrame | None = None,
    earlybird_bounds: dict[str, list[float]] | None = None,
    earlybird_tolerances: dict[str, float] | None = None,
) -> pd.DataFrame:
    """All claims whose inputs this config produces (a stage that is not run leaves its claims out)."""
    rows = []
    if imp is not None:
        rows += critical_sparsity_claims(imp, critical_threshold, min_n)
    if conditions is not None:
        rows += mask_share_claims(conditions, mask_share_min_gap, min_n)
    if representation_claims is not None:
        rows += representation_claim_rows(representation_claims, min_n)
    if earlybird_runs is not None:
        rows += early_bird_claims(earlybird_runs, earlybird_bounds, earlybird_tolerances, min_n)
    return pd.DataFrame(rows, columns=COLUMNS)


def claims_markdown(table: pd.DataFrame) -> str:
    """claims.csv as a Markdown table for the README (statement, measurement, effect [95% CI], n, verdict)."""

    def number(value: float) -> str:
        return "–" if pd.isna(value) else f"{value:.3g}"

    lines = [
        "| claim | source's statement | task | paradigm / P | measured | effect [95% CI] | n | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in table.to_dict("records"):
        effect = f"{number(r['effect'])} [{number(r['ci95_low'])}, {number(r['ci95_high'])}]"
        lines.append(
            f"| {r['claim_id']} | {r['statement']} | {r['task']} | {r['paradigm']} | {r['measurement']} | {effect} "
            f"| {r['n']} {r['n_unit']} | **{r['verdict']}** |"
        )
    return "\n".join(lines) + "\n"
