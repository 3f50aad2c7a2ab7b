"""The claims of docs/protocol.md §3, measured from the tidy tables: one row per claim and task (and paradigm or P,
and performance metric where it matters), with the source's statement, what the pipeline measured, the effect, its
95 % t-interval, the exact test behind the verdict, n, "k of n seeds agree", the disconnected networks and a verdict.

Every per-seed verdict comes from `rltickets.core.statistics`: "reproduced" when the one-sided exact test in the
claimed direction rejects at `analysis.claims_alpha`, "not reproduced" when the test in the opposite direction does,
"inconclusive at this n" otherwise or when n < `analysis.claims_min_n`. The interval is descriptive.

Disconnected networks (no input-to-output path, or an empty layer; docs/protocol.md §1.3) are never averaged in
silently: claim 1 counts a disconnected level as a failure of that seed's ticket; claim 2 and its split leave out a
level whose ticket is disconnected and keep a disconnected baseline at its measured performance. Each row's
`disconnected` column counts the disconnected networks behind it, and `detail` says how they were treated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..baselines.tables import SPLIT, SPLIT_LABELS, mask_share_per_seed
from ..core.statistics import (
    GREATER,
    INCONCLUSIVE,
    NO_DATA,
    NOT_REPRODUCED,
    REPRODUCED,
    TESTS,
    agreement_text,
    clopper_pearson,
    summarise,
    verdict_from_p,
)
from ..core.tasks import TASKS, patrol_route
from ..earlybird.tables import eb_existence, repetition_criteria
from ..imp.tables import critical_level_per_seed, disconnected_flags
from ..representations.tables import identification_per_seed

__all__ = ["REPRODUCED", "NOT_REPRODUCED", "INCONCLUSIVE", "NO_DATA", "ClaimRules", "claims_table"]

COLUMNS = [
    "claim_id",
    "source",
    "statement",
    "task",
    "paradigm",
    "metric",
    "measurement",
    "effect",
    "ci95_low",
    "ci95_high",
    "test",
    "p_value",
    "n",
    "n_unit",
    "k_agree",
    "agreement",
    "disconnected",
    "verdict",
    "detail",
]
SHOWN = "shown (no claim in the sources)"

VISCHER = "Vischer, Lange & Sprekeler (ICLR 2022)"
THESIS = "Early-Bird thesis, §3.4-3.6"
STATEMENTS = {
    "1": (VISCHER + ", Fig. 2", "BC tickets reach a higher critical sparsity than RL tickets"),
    "2": (VISCHER + ", Fig. 1 / poster", "the mask accounts for most of the ticket effect (mask share > 0.5)"),
    "2 split": (
        VISCHER + ", Fig. 1 / poster",
        "the ticket effect split into init values, mask structure, layer ratios",
    ),
    "3": (VISCHER + ", Fig. 1 left / poster I", "the input mask prunes task-irrelevant input units first"),
    "4": (VISCHER + ", abstract / poster Extra", "init rescaling promotes robust identification of task inputs"),
    "5": (
        THESIS,
        "EB tickets exist in CartPole for all P (Exp 2 and 3); in Acrobot for P = 0.2 with retraining (Exp 2) and "
        "for P = 0.2 and 0.4 with fine-tuning (Exp 3)",
    ),
}


def _close(p: float, values) -> bool:
    return any(abs(p - v) < 1e-9 for v in values)


# The thesis' finding (§3.5) per task and experiment: for which P an Early-Bird ticket exists.
EB_EXPECTED: dict[tuple[str, str], Callable[[float], bool]] = {
    ("CartPole-v0", "rewind"): lambda p: True,
    ("CartPole-v0", "finetune"): lambda p: True,
    ("Acrobot-v1", "rewind"): lambda p: _close(p, (0.2,)),
    ("Acrobot-v1", "finetune"): lambda p: _close(p, (0.2, 0.4)),
}
EXPERIMENT_LABELS = {"rewind": "Exp 2 (retrain m ⊙ θ0)", "finetune": "Exp 3 (fine-tune m ⊙ θ_e)"}


@dataclass(frozen=True)
class ClaimRules:
    """How verdicts are reached (config `analysis.claims_min_n`, `.claims_test`, `.claims_alpha`)."""

    min_n: int = 5
    test: str = "wilcoxon"
    alpha: float = 0.05

    def __post_init__(self):
        if self.test not in TESTS:
            raise ValueError(f"unknown claims test {self.test!r}; expected one of {', '.join(TESTS)}")


def _rules(rules: ClaimRules | int) -> ClaimRules:
    return rules if isinstance(rules, ClaimRules) else ClaimRules(min_n=int(rules))


def claim_row(claim_id: str, task: str, paradigm: str, measurement: str, **fields: Any) -> dict[str, Any]:
    source, statement = STATEMENTS[claim_id]
    row = dict.fromkeys(COLUMNS, np.nan) | {"claim_id": claim_id, "source": source, "statement": statement}
    return row | {"task": task, "paradigm": paradigm, "metric": "", "measurement": measurement} | fields


def per_seed_row(
    claim_id,
    task,
    paradigm,
    measurement,
    values,
    rules: ClaimRules | int,
    null=0.0,
    unit="seeds",
    detail="",
    disconnected=0,
    metric="",
):
    """A row whose effect is the mean of per-seed values: t-interval, one-sided exact p, k of n, verdict."""
    rules = _rules(rules)
    stats = summarise(pd.Series(values, dtype=float).dropna(), null=null, test=rules.test)
    return claim_row(
        claim_id,
        task,
        paradigm,
        measurement,
        metric=metric,
        effect=stats.mean,
        ci95_low=stats.ci95_low,
        ci95_high=stats.ci95_high,
        test=f"{rules.test}, one-sided, alpha {rules.alpha:g}",
        p_value=stats.p_greater,
        n=stats.n,
        n_unit=unit,
        k_agree=stats.k_greater,
        agreement=agreement_text(stats.k_greater, stats.n, unit),
        disconnected=int(disconnected),
        verdict=stats.verdict(rules.min_n, rules.alpha, GREATER),
        detail=detail,
    )


# ---- Claim 1: critical sparsity, BC vs RL ----
METRIC_LABELS = {"best": "best return", "last3": "mean of the last 3 evaluations", "final": "final return"}


def critical_sparsity_claims(
    imp: pd.DataFrame, threshold: float, rules: ClaimRules | int, metrics=("best", "last3")
) -> list[dict[str, Any]]:
    """Claim 1, per task and metric (best return, and the mean of the last three evaluations where imp.csv has
    it): BC's critical level minus RL's, paired by seed (same θ0, the BC expert of that seed). A disconnected
    level counts as a failure of that seed's ticket (its critical level ends before it)."""
    rows = []
    metrics = [m for m in metrics if f"normalised_{m}" in imp.columns]
    n_disconnected = imp.assign(_d=disconnected_flags(imp)).groupby(["task", "paradigm"])["_d"].sum()
    for metric in metrics:
        per_seed = critical_level_per_seed(imp, threshold, metric)
        for task, group in per_seed.groupby("task", sort=True):
            wide = group.pivot(index="seed", columns="paradigm", values="critical_level")
            if not {"rl", "bc"} <= set(wide.columns):
                continue
            wide = wide.dropna(subset=["rl", "bc"])
            percent = group.groupby("paradigm")["critical_percent_remaining"].mean()
            lost = {p: int(n_disconnected.get((task, p), 0)) for p in ("rl", "bc")}
            detail = (
                f"critical level (>= {threshold:g} of the seed's dense performance at every level up to it, on the "
                f"{METRIC_LABELS[metric]}): RL mean {wide['rl'].mean():.2f} ({percent.get('rl', np.nan):.2g}% weights "
                f"left), BC mean {wide['bc'].mean():.2f} ({percent.get('bc', np.nan):.2g}% left); disconnected "
                f"levels (counted as failures): RL {lost['rl']}, BC {lost['bc']}"
            )
            measurement = f"critical level BC - RL, paired by seed ({METRIC_LABELS[metric]})"
            row = per_seed_row(
                "1",
                task,
                "bc - rl",
                measurement,
                wide["bc"] - wide["rl"],
                rules,
                detail=detail,
                disconnected=lost["rl"] + lost["bc"],
                metric=metric,
            )
            sparsest = int(group["sparsest_level"].min())
            if len(wide) and (wide == sparsest).all().all():
                # Both keep their performance to the last level run: the critical sparsity lies beyond the run.
                row["verdict"] = INCONCLUSIVE + " (both paradigms stay above the threshold to the sparsest level run)"
            rows.append(row)
    return rows


# ---- Claim 2: the mask share, and the three-way split ----
def _disconnection_detail(group: pd.DataFrame) -> str:
    return (
        f"{int(group['n_levels_ticket_disconnected'].sum())} seed x level pairs with a disconnected ticket left out; "
        f"{int(group['n_disconnected'].sum())} disconnected networks in all (baselines kept at their measured value)"
    )


def mask_share_claims(conditions: pd.DataFrame, min_gap: float, rules: ClaimRules | int) -> list[dict[str, Any]]:
    """Claim 2, per task and paradigm: the per-seed mask share (docs/protocol.md §1.4) against 0.5."""
    per_seed = mask_share_per_seed(conditions, min_gap)
    rows = []
    for (task, paradigm), group in per_seed.groupby(["task", "paradigm"], sort=True):
        detail = (
            f"mean over levels where the ticket beats random/reinit by >= {min_gap:g} (normalised); "
            f"{int(group['n_levels'].sum())} level x seed pairs; mask/permuted minus ticket "
            f"{group['mask_permuted_gap'].mean():+.3f} (normalised); " + _disconnection_detail(group)
        )
        measurement = "mask share (mask/permuted - random/reinit) / (ticket - random/reinit)"
        rows.append(
            per_seed_row(
                "2",
                task,
                paradigm,
                measurement,
                group["mask_share"],
                rules,
                null=0.5,
                detail=detail,
                disconnected=int(group["n_disconnected"].sum()),
            )
        )
    return rows


def split_claims(conditions: pd.DataFrame, rules: ClaimRules | int) -> list[dict[str, Any]]:
    """Claim 2's three-way split, per task and paradigm: what the init values (ticket - mask/permuted), the mask's
    structure (mask/permuted - permuted/permuted) and the layer-wise ratios (permuted/permuted - random/reinit)
    add to the ticket effect, normalised, per seed (mean over the baseline levels) then over seeds. Shown with
    the same statistics, tested against 0; the sources make no claim about the parts, so no verdict."""
    per_seed = mask_share_per_seed(conditions, min_gap=0.0)
    rows = []
    for (task, paradigm), group in per_seed.groupby(["task", "paradigm"], sort=True):
        for part in SPLIT:
            row = per_seed_row(
                "2 split",
                task,
                paradigm,
                f"{part}: {SPLIT_LABELS[part]} (normalised best, mean over the baseline levels)",
                group[part],
                rules,
                detail=_disconnection_detail(group),
                disconnected=int(group["n_disconnected"].sum()),
            )
            row["claim_id"] = "2"  # part of claim 2's report; its statement says it is the split
            row["verdict"] = SHOWN
            rows.append(row)
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
    claim: str, task: str, paradigm: str, statistic: str, per_seed: pd.Series, detail: str, rules: ClaimRules
) -> dict[str, Any]:
    per_seed = per_seed.dropna()
    stats = summarise(per_seed, null=0.0, test=rules.test)
    return {
        "claim": claim,
        "task": task,
        "paradigm": paradigm,
        "statistic": statistic,
        "effect": stats.mean,
        "effect_std": stats.sd,
        "ci95_low": stats.ci95_low,
        "ci95_high": stats.ci95_high,
        "test": rules.test,
        "p_greater": stats.p_greater,
        "p_less": stats.p_less,
        "n_positive": stats.k_greater,
        "n": stats.n,
        "n_unit": "seeds",
        "n_seeds": stats.n,
        "verdict": stats.verdict(rules.min_n, rules.alpha, GREATER),
        "detail": detail,
    }


REPRESENTATION_COLUMNS = ["claim", "task", "paradigm", "statistic", "effect", "effect_std", "ci95_low", "ci95_high"]
REPRESENTATION_COLUMNS += ["test", "p_greater", "p_less", "n_positive", "n", "n_unit", "n_seeds", "verdict", "detail"]


def grid_cells(frame: pd.DataFrame, task: str) -> tuple[pd.Series, pd.Series]:
    """(border, on-route) masks of an image task's rows (border = outermost ring; route = the enemy's patrol)."""
    rows, cols = TASKS[task].image_size
    border = frame["row"].isin([0, rows - 1]) | frame["col"].isin([0, cols - 1])
    route = {(r, c) for r, c in patrol_route(rows)}
    on_route = pd.Series([(r, c) in route for r, c in zip(frame["row"], frame["col"], strict=True)], index=frame.index)
    return border, on_route


def identification_gain(input_mask: pd.DataFrame, rescaling: str, paradigm: str, task: str) -> pd.Series:
    """Claim 4 per seed: mean over levels >= 1 of [identification under `rescaling` - under the default init],
    paired by seed and level. Identification of a seed at a level = the Spearman rank correlation of its input-
    survival vector with the mean vector of the other seeds (leave-one-out consensus), at that level (the same
    global sparsity in both settings). Computed over the seeds both settings ran."""
    chain = input_mask[(input_mask["paradigm"] == paradigm) & (input_mask["task"] == task)]
    settings = {s: chain[chain["init_rescaling"] == s] for s in ("none", rescaling)}
    seeds = sorted(set(settings["none"]["seed"]) & set(settings[rescaling]["seed"]))
    scores = {
        s: identification_per_seed(frame[frame["seed"].isin(seeds)]).set_index(["seed", "level"])["identification"]
        for s, frame in settings.items()
    }
    gain = (scores[rescaling] - scores["none"]).dropna()
    gain = gain[gain.index.get_level_values("level") >= 1]
    return gain.groupby(level="seed").mean()


def representation_claims(
    input_mask: pd.DataFrame,
    consistency: pd.DataFrame,
    grid_task: str | None,
    digits_task: str | None,
    rules: ClaimRules | int = ClaimRules(),
) -> pd.DataFrame:
    """Claims 3 and 4 of docs/protocol.md §3 (and the poster's enemy-route statement), with effect, n and verdict.

    Claim 4 is measured per seed from `input_mask` (`identification_gain`); `consistency` (input_consistency.csv,
    the same measure per level, averaged over seeds) is the figure's and is not needed here."""
    rules = _rules(rules)
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
                    rules,
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
                    rules,
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
                    rules,
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
                    rules,
                )
            )
    rescaled = input_mask[input_mask["init_rescaling"] != "none"]
    for (rescaling, paradigm, task), _ in rescaled.groupby(["init_rescaling", "paradigm", "task"], sort=True):
        gain = identification_gain(input_mask, rescaling, paradigm, task)
        row = _representation_claim(
            f"4: init rescaling ({rescaling}) improves the identification of task inputs across seeds",
            task,
            paradigm,
            "per seed, mean over levels>=1 of [Spearman(seed's input survival, other seeds' mean)] rescaled - none",
            gain,
            "leave-one-out rank agreement at matched sparsity (same level), paired by seed",
            rules,
        )
        if row["n"] == 0:
            row["verdict"] = "not tested (no level where both settings rank inputs in >= 2 seeds)"
        rows.append(row)
    return pd.DataFrame(rows, columns=REPRESENTATION_COLUMNS)


def representation_claim_rows(claims: pd.DataFrame, rules: ClaimRules | int) -> list[dict[str, Any]]:
    """Claims 3 and 4 from representation_claims.csv (effects, intervals and p-values computed there, per seed)."""
    rules = _rules(rules)
    rows = []
    for record in claims.to_dict("records"):
        claim_id = "4" if str(record["claim"]).startswith("4") else "3"
        n = int(record["n"]) if pd.notna(record["n"]) else 0
        outcome = verdict_from_p(n, float(record["p_greater"]), float(record["p_less"]), rules.min_n, rules.alpha)
        if n == 0 and str(record["verdict"]).startswith("not tested"):
            outcome = record["verdict"]
        k = int(record["n_positive"]) if pd.notna(record["n_positive"]) else 0
        rows.append(
            claim_row(
                claim_id,
                record["task"],
                record["paradigm"],
                f"{record['claim']}: {record['statistic']}",
                effect=record["effect"],
                ci95_low=float(record["ci95_low"]),
                ci95_high=float(record["ci95_high"]),
                test=f"{record['test']}, one-sided, alpha {rules.alpha:g}",
                p_value=float(record["p_greater"]),
                n=n,
                n_unit=record["n_unit"],
                k_agree=k,
                agreement=agreement_text(k, n, str(record["n_unit"])),
                disconnected=0,
                verdict=outcome,
                detail=record["detail"],
            )
        )
    return rows


# ---- Claim 5: Early-Bird tickets ----
def early_bird_claims(
    runs: pd.DataFrame,
    return_bounds,
    tolerances,
    rules: ClaimRules | int,
    min_share: float = 0.5,
    adjacent: int = 2,
) -> list[dict[str, Any]]:
    """Claim 5, per task, experiment (Exp 2 retraining, Exp 3 fine-tuning) and P: does an EB ticket exist by the
    existence rule (`earlybird.tables.eb_existence`: at `adjacent` consecutive e_prune values, at least
    `min_share` of the repetitions each meet all four criteria against their own references), and does that match
    the thesis (`EB_EXPECTED`)? "k of n" counts the repetitions whose outcome at the deciding window's weakest
    e_prune matches the thesis; the interval is the exact (Clopper-Pearson) interval of the share there."""
    rules = _rules(rules)
    existence = eb_existence(repetition_criteria(runs, return_bounds, tolerances), min_share, adjacent)
    rows = []
    for record in existence.to_dict("records"):
        key = (record["task"], record["experiment"])
        if key not in EB_EXPECTED:
            continue
        expected, found = EB_EXPECTED[key](record["prune_fraction"]), record["exists"]
        n = record["n_repetitions"]
        if found is None or pd.isna(found):
            outcome = INCONCLUSIVE + f" (needs {adjacent} adjacent e_prune values, ran {record['prune_episodes']})"
            k, low, high, count = np.nan, np.nan, np.nan, 0
        else:
            count = int(record["window_n"])
            k = record["window_k"] if expected else count - record["window_k"]
            low, high = clopper_pearson(int(record["window_k"]), count)
            if n < rules.min_n:
                outcome = INCONCLUSIVE
            else:
                outcome = REPRODUCED if bool(found) == expected else NOT_REPRODUCED
        measured = "none" if not found else f"exists (e_prune {record['window']})"
        rows.append(
            claim_row(
                "5",
                record["task"],
                f"P={record['prune_fraction']:g}, {EXPERIMENT_LABELS[record['experiment']]}",
                "share of repetitions meeting all four EB criteria at the weakest of the best "
                f"{adjacent} adjacent e_prune values (exists if >= {min_share:g})",
                effect=record["window_share"],
                ci95_low=low,
                ci95_high=high,
                test=f"existence rule: >= {min_share:g} of repetitions at {adjacent} adjacent e_prune",
                p_value=np.nan,
                n=n,
                n_unit="repetitions",
                k_agree=k,
                agreement=agreement_text(int(k), count, "repetitions") if pd.notna(k) else "",
                disconnected=0,
                verdict=outcome,
                detail=(
                    f"thesis: EB ticket {'exists' if expected else 'does not exist'}; measured: {measured}; "
                    f"best window {record['window'] or '-'} of e_prune {record['prune_episodes']}"
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
    earlybird_existence: dict[str, float] | None = None,
    test: str = "wilcoxon",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """All claims whose inputs this config produces (a stage that is not run leaves its claims out)."""
    rules = ClaimRules(min_n=min_n, test=test, alpha=alpha)
    existence = earlybird_existence or {"min_share": 0.5, "adjacent": 2}
    rows = []
    if imp is not None:
        rows += critical_sparsity_claims(imp, critical_threshold, rules)
    if conditions is not None:
        rows += mask_share_claims(conditions, mask_share_min_gap, rules)
        if set(SPLIT_CONDITIONS) <= set(conditions["condition"]):
            rows += split_claims(conditions, rules)
    if representation_claims is not None:
        rows += representation_claim_rows(representation_claims, rules)
    if earlybird_runs is not None:
        rows += early_bird_claims(
            earlybird_runs,
            earlybird_bounds,
            earlybird_tolerances,
            rules,
            min_share=existence["min_share"],
            adjacent=int(existence["adjacent"]),
        )
    return pd.DataFrame(rows, columns=COLUMNS)


SPLIT_CONDITIONS = ("mask_weights", "mask_permuted", "permuted_permuted", "random_reinit")


def markdown_number(value: float) -> str:
    """A number in the docs' Markdown tables: 3 significant digits, "–" where it is undefined."""
    return "–" if pd.isna(value) else f"{value:.3g}"


def claims_markdown(table: pd.DataFrame) -> str:
    """claims.csv as a Markdown table for the README (statement, measurement, effect [95% CI], n, k of n, verdict)."""
    number = markdown_number
    lines = [
        "| claim | source's statement | task | paradigm / P | measured | effect [95% CI] | p | n | agree "
        "| disconnected | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table.to_dict("records"):
        effect = f"{number(r['effect'])} [{number(r['ci95_low'])}, {number(r['ci95_high'])}]"
        agreement = r["agreement"] if isinstance(r["agreement"], str) else "–"
        disconnected = "–" if pd.isna(r["disconnected"]) else int(r["disconnected"])
        lines.append(
            f"| {r['claim_id']} | {r['statement']} | {r['task']} | {r['paradigm']} | {r['measurement']} | {effect} "
            f"| {number(r['p_value'])} | {r['n']} {r['n_unit']} | {agreement} | {disconnected} | **{r['verdict']}** |"
        )
    return "\n".join(lines) + "\n"
