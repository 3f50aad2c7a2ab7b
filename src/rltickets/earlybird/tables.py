"""The Early-Bird stage's tidy tables: every run (earlybird_runs.csv), the four EB criteria of the thesis §3.4
with the numbers behind each (earlybird_verdicts.csv), and where Exp 1's masks stabilise."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .masks import WINNING_TICKET

RUN_COLUMNS = [
    "task",
    "experiment",
    "prune_fraction",
    "prune_episode",
    "repetition",
    "test_return",
    "test_return_std",
    "train_episodes",
    "search_episodes",
    "reached_early_stopping",
    "similarity_to_winning_ticket",
    "wall_time_s",
    "total_episodes",
]
# The thesis' experiments whose pruned networks can be Early-Bird tickets (Exp 2 retraining, Exp 3 fine-tuning).
EB_EXPERIMENTS = ("rewind", "finetune")


def dense_rows(task: str, repetition: int, log: dict[str, Any]) -> list[dict[str, Any]]:
    """The unpruned reference of one dense run: episodes until early stopping and its test return."""
    return [
        {
            "task": task,
            "experiment": "unpruned",
            "prune_fraction": 0.0,
            "prune_episode": np.nan,
            "repetition": repetition,
            "test_return": log["unpruned_test"]["test_return"],
            "test_return_std": log["unpruned_test"]["test_return_std"],
            "train_episodes": log["early_stopping_episode"],
            "search_episodes": np.nan,
            "reached_early_stopping": log["reached_early_stopping"],
            "similarity_to_winning_ticket": np.nan,
            "wall_time_s": log["wall_time_s"],
        }
    ]


def pruned_row(task: str, repetition: int, prune_episode: str, metrics: dict[str, Any], es_episode: int):
    """One Exp 2/3 run; the rewind at 'es' is the one-shot winning ticket, pruned at the dense run's ES point."""
    winning = prune_episode == WINNING_TICKET
    experiment = "winning_ticket" if winning else metrics["mode"]
    return {
        "task": task,
        "experiment": experiment,
        "prune_fraction": metrics["prune_fraction"],
        "prune_episode": es_episode if winning else int(prune_episode),
        "repetition": repetition,
        "test_return": metrics["test_return"],
        "test_return_std": metrics["test_return_std"],
        "train_episodes": metrics["train_episodes"],
        "search_episodes": np.nan,
        "reached_early_stopping": metrics["reached_early_stopping"],
        "similarity_to_winning_ticket": metrics["similarity_to_winning_ticket"],
        "wall_time_s": metrics["wall_time_s"],
    }


def exploit_row(task: str, repetition: int, metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        "task": task,
        "experiment": "eb_exploit",
        "prune_fraction": metrics["prune_fraction"],
        "prune_episode": metrics.get("eb_episode", np.nan),
        "repetition": repetition,
        "test_return": metrics["test_return"],
        "test_return_std": metrics["test_return_std"],
        "train_episodes": metrics["finetune_episodes"],
        "search_episodes": metrics["search_episodes"],
        "reached_early_stopping": metrics["reached_early_stopping"],
        "similarity_to_winning_ticket": np.nan,
        "wall_time_s": metrics["wall_time_s"],
    }


def total_episodes(table: pd.DataFrame) -> pd.Series:
    """Episodes from θ0 to the end of a run: the episodes before pruning (e_prune; the EB search for EB Exploit;
    the dense run's early-stopping episode for the winning ticket) plus `train_episodes` after it. For Exp 3 this
    is the fine-tune's whole cost; `train_episodes` alone is its length from pruning."""
    before = pd.Series(0.0, index=table.index)
    pruned = table["experiment"].isin([*EB_EXPERIMENTS, "winning_ticket"])
    before[pruned] = table.loc[pruned, "prune_episode"].astype(float)
    exploit = table["experiment"] == "eb_exploit"
    before[exploit] = table.loc[exploit, "search_episodes"].astype(float)
    return before + table["train_episodes"].astype(float)


def runs_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=[c for c in RUN_COLUMNS if c != "total_episodes"])
    table["total_episodes"] = total_episodes(table)
    return table.sort_values(["task", "experiment", "prune_fraction", "prune_episode", "repetition"]).reset_index(
        drop=True
    )


def verdict_tolerances(verdict_config: dict[str, float]) -> dict[str, float]:
    """config `earlybird.verdict` -> the `tolerances` of `verdict_table`."""
    return {"performance": verdict_config["performance_tolerance"], "length": verdict_config["length_tolerance"]}


def verdict_table(runs: pd.DataFrame, return_bounds: dict[str, list[float]], tolerances: dict[str, float]):
    """The four EB criteria of the thesis §3.4 for every (task, experiment, P, e_prune), with their numbers.

    1. performance ≥ the unpruned network's (within `performance` × the task's return range);
    2. episodes to early stopping ≤ the unpruned network's × (1 + `length`);
    3. performance and length at least those of the one-shot winning ticket (same tolerances);
    4. pruned earlier than the winning ticket (e_prune < mean early-stopping episode of the dense runs).
    Means over repetitions; runs that never stop early count with their cap (`train_episodes`).
    """
    rows = []
    for task, task_runs in runs.groupby("task"):
        low, high = return_bounds[task]
        perf_tol = tolerances["performance"] * (high - low)
        length_factor = 1.0 + tolerances["length"]
        unpruned = task_runs[task_runs["experiment"] == "unpruned"]
        u_perf, u_len = unpruned["test_return"].mean(), unpruned["train_episodes"].mean()
        for (experiment, fraction, episode), group in task_runs[
            task_runs["experiment"].isin(["rewind", "finetune"])
        ].groupby(["experiment", "prune_fraction", "prune_episode"]):
            winning = task_runs[
                (task_runs["experiment"] == "winning_ticket") & (task_runs["prune_fraction"] == fraction)
            ]
            w_perf, w_len = winning["test_return"].mean(), winning["train_episodes"].mean()
            w_episode = winning["prune_episode"].mean()
            perf, length = group["test_return"].mean(), group["train_episodes"].mean()
            total = (group["prune_episode"].astype(float) + group["train_episodes"].astype(float)).mean()
            c1 = bool(perf >= u_perf - perf_tol)
            c2 = bool(length <= u_len * length_factor)
            c3 = bool(perf >= w_perf - perf_tol and length <= w_len * length_factor)
            c4 = bool(episode < w_episode)
            rows.append(
                {
                    "task": task,
                    "experiment": experiment,
                    "prune_fraction": fraction,
                    "prune_episode": int(episode),
                    "n": len(group),
                    "test_return": perf,
                    "test_return_sd": group["test_return"].std(ddof=1) if len(group) > 1 else np.nan,
                    "train_episodes": length,
                    "total_episodes": total,
                    "reached_early_stopping": float(group["reached_early_stopping"].mean()),
                    "unpruned_test_return": u_perf,
                    "unpruned_train_episodes": u_len,
                    "winning_test_return": w_perf,
                    "winning_train_episodes": w_len,
                    "winning_prune_episode": w_episode,
                    "similarity_to_winning_ticket": group["similarity_to_winning_ticket"].mean(),
                    "c1_performance_vs_unpruned": c1,
                    "c2_length_vs_unpruned": c2,
                    "c3_like_winning_ticket": c3,
                    "c4_earlier_than_winning_ticket": c4,
                    "early_bird": c1 and c2 and c3 and c4,
                }
            )
    verdicts = pd.DataFrame(rows)
    if len(verdicts):
        # Beside the criteria on the means: how many repetitions meet all four against their own references.
        per_rep = repetition_criteria(runs, return_bounds, tolerances)
        keys = ["task", "experiment", "prune_fraction", "prune_episode"]
        counts = per_rep.groupby(keys)["early_bird"].agg(n_early_bird="sum", share_early_bird="mean").reset_index()
        counts["prune_episode"] = counts["prune_episode"].astype(int)
        verdicts = verdicts.merge(counts, on=keys, how="left")
    return verdicts


def repetition_criteria(runs: pd.DataFrame, return_bounds: dict[str, list[float]], tolerances: dict[str, float]):
    """The four EB criteria per Exp 2/3 run, each repetition against its own references: the unpruned network and
    the one-shot winning ticket of the same dense run (same seed), and that run's winning-ticket episode (c4).
    A run whose references are missing meets no criterion."""
    rows = []
    for task, task_runs in runs.groupby("task"):
        low, high = return_bounds[task]
        perf_tol = tolerances["performance"] * (high - low)
        length_factor = 1.0 + tolerances["length"]
        unpruned = task_runs[task_runs["experiment"] == "unpruned"].groupby("repetition")
        u_perf, u_len = unpruned["test_return"].mean(), unpruned["train_episodes"].mean()
        winning = task_runs[task_runs["experiment"] == "winning_ticket"].groupby(["prune_fraction", "repetition"])
        w_perf, w_len = winning["test_return"].mean(), winning["train_episodes"].mean()
        w_episode = winning["prune_episode"].mean()
        for run in task_runs[task_runs["experiment"].isin(EB_EXPERIMENTS)].to_dict("records"):
            rep, wkey = run["repetition"], (run["prune_fraction"], run["repetition"])
            ref = {
                "u_perf": u_perf.get(rep, np.nan),
                "u_len": u_len.get(rep, np.nan),
                "w_perf": w_perf.get(wkey, np.nan),
                "w_len": w_len.get(wkey, np.nan),
                "w_episode": w_episode.get(wkey, np.nan),
            }
            perf, length = run["test_return"], run["train_episodes"]
            c1 = bool(perf >= ref["u_perf"] - perf_tol)
            c2 = bool(length <= ref["u_len"] * length_factor)
            c3 = bool(perf >= ref["w_perf"] - perf_tol and length <= ref["w_len"] * length_factor)
            c4 = bool(run["prune_episode"] < ref["w_episode"])
            rows.append(
                {
                    "task": task,
                    "experiment": run["experiment"],
                    "prune_fraction": run["prune_fraction"],
                    "prune_episode": int(run["prune_episode"]),
                    "repetition": rep,
                    "c1": c1,
                    "c2": c2,
                    "c3": c3,
                    "c4": c4,
                    "early_bird": c1 and c2 and c3 and c4,
                }
            )
    columns = ["task", "experiment", "prune_fraction", "prune_episode", "repetition", "c1", "c2", "c3", "c4"]
    return pd.DataFrame(rows, columns=[*columns, "early_bird"])


def eb_existence(per_repetition: pd.DataFrame, min_share: float = 0.5, adjacent: int = 2) -> pd.DataFrame:
    """Does an EB ticket exist, per (task, experiment, P)? The rule (config `earlybird.existence`): at `adjacent`
    consecutive e_prune values (in the order of the e_prune values run), at each of them at least `min_share` of
    the repetitions meet all four criteria against their own references. Not an OR over every (experiment,
    e_prune) setting: one lucky repetition at one e_prune does not make a ticket, and Exp 2 and Exp 3 are judged
    apart.

    Per row: the deciding window (the one whose weakest e_prune has the highest share; the earliest on ties), that
    weakest share and its count of repetitions, and `exists` (None when fewer than `adjacent` e_prune values ran).
    """
    rows = []
    keys = ["task", "experiment", "prune_fraction"]
    for (task, experiment, fraction), group in per_repetition.groupby(keys, sort=True):
        per_e = group.groupby("prune_episode")["early_bird"].agg(["sum", "count"]).sort_index()
        episodes = per_e.index.tolist()
        shares = (per_e["sum"] / per_e["count"]).tolist()
        best = None  # (weakest share, -start, window)
        for start in range(len(episodes) - adjacent + 1):
            window = list(range(start, start + adjacent))
            weakest = min(window, key=lambda i: (shares[i], per_e["sum"].iloc[i]))
            candidate = (shares[weakest], -start, window, weakest)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
        row = {
            "task": task,
            "experiment": experiment,
            "prune_fraction": fraction,
            "n_repetitions": int(group["repetition"].nunique()),
            "prune_episodes": " ".join(str(int(e)) for e in episodes),
            "min_share": min_share,
            "adjacent": adjacent,
        }
        if best is None:
            row |= {"window": "", "window_share": np.nan, "window_k": np.nan, "window_n": np.nan, "exists": None}
        else:
            share, _, window, weakest = best
            row |= {
                "window": "-".join(str(int(episodes[i])) for i in window),
                "window_share": float(share),
                "window_k": int(per_e["sum"].iloc[weakest]),
                "window_n": int(per_e["count"].iloc[weakest]),
                "exists": bool(share >= min_share),
            }
        rows.append(row)
    return pd.DataFrame(rows)


def stabilisation_episode(episodes: np.ndarray, matrix: np.ndarray, distance: float) -> float:
    """Exp 1 in one number: the first snapshot episode from which all later masks are pairwise within `distance`
    (normalised Hamming), i.e. where the heatmap's bright lower-right square begins; NaN if not even the last two
    masks are that close."""
    n = len(episodes)
    suffix_min = np.inf
    first = np.nan
    for k in range(n - 2, -1, -1):
        suffix_min = min(suffix_min, float(matrix[k, k:].min()))
        if suffix_min < 1.0 - distance:
            break
        first = float(episodes[k])
    return first


def exploitation_start(epsilons: list[float], epsilon_min: float) -> float:
    """The first episode (1-based) played with ε at its minimum; NaN if ε never got there."""
    at_min = [i + 1 for i, eps in enumerate(epsilons) if eps <= epsilon_min + 1e-12]
    return float(at_min[0]) if at_min else np.nan


def mask_stability_table(
    similarity: dict[str, tuple[np.ndarray, dict[float, np.ndarray]]],
    exploitation_starts: dict[str, list[float]],
    distance: float,
) -> pd.DataFrame:
    """Per task and P: where the masks stabilise (all later masks within `distance`) against where exploitation
    starts, and how similar the mask at the start of exploitation is to the last one (mean matrices, Exp 1)."""
    rows = []
    for task, (episodes, per_p) in similarity.items():
        start = float(np.nanmean(exploitation_starts[task])) if exploitation_starts[task] else np.nan
        for fraction, matrix in sorted(per_p.items()):
            if not len(episodes):
                continue
            at_start = int(np.argmin(np.abs(episodes - start))) if np.isfinite(start) else 0
            rows.append(
                {
                    "task": task,
                    "prune_fraction": fraction,
                    "n_masks": len(episodes),
                    "exploitation_start_episode": start,
                    "stable_from_episode": stabilisation_episode(episodes, matrix, distance),
                    "distance": distance,
                    "similarity_start_to_last": float(matrix[at_start, -1]),
                    "similarity_first_to_last": float(matrix[0, -1]),
                }
            )
    return pd.DataFrame(rows)
