"""Minimal task representations (PROTOCOL §1.5): which input units a ticket keeps, and whether they are the ones
the task needs.

* `input_mask_table`: per (init rescaling, paradigm, task, seed, level) and input unit, the fraction of the unit's
  first-layer weights that survive, with the unit named (state dim, or channel x row x col of an image).
* `consistency_table`: how similar the kept input sets of different seeds are (mean pairwise Jaccard).
* `rescale_initial_parameters`: the [R] init rescaling `layer_equalized` (a pure function on θ0).
* `KeepInputs` / `train_masked_input_agent`: a dense agent trained on the observation with pruned inputs removed.
* `representation_claims`: the verdicts of claims 3-4 (PROTOCOL §3) with effect sizes and n.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import torch

from .analysis import bootstrap_ci
from .artifacts import load_json
from .tasks import TASKS, input_names

INIT_RESCALINGS = ("none", "layer_equalized")
MASK_KEYS = ("paradigm", "task", "seed", "level", "fraction_remaining", "input_unit_survival")


# ---- Input-layer masks ------------------------------------------------------------------------------------------
def input_layout(task: str, n_inputs: int, image_shape: Iterable[int] | None = None) -> pd.DataFrame:
    """One row per input unit in flattening order: index, name, channel, row, col (NaN/empty where not an image).

    Image tasks of the registry are (channel, row, col); supervised images are (row, col) with channel "pixel";
    other tasks are state vectors named by the registry.
    """
    spec = TASKS.get(task)
    if spec is not None and spec.image_channels:
        rows, cols = spec.image_size
        grid = np.indices((len(spec.image_channels), rows, cols)).reshape(3, -1)
        if grid.shape[1] != n_inputs:
            raise ValueError(f"{task}: {n_inputs} input units, but the registry's image has {grid.shape[1]}")
        channel = [spec.image_channels[c] for c in grid[0]]
        return pd.DataFrame(
            {"input_index": np.arange(n_inputs), "input_name": spec.input_names, "channel": channel}
        ).assign(row=grid[1], col=grid[2])
    if image_shape is not None:
        rows, cols = tuple(image_shape)
        grid = np.indices((rows, cols)).reshape(2, -1)
        if grid.shape[1] != n_inputs:
            raise ValueError(f"{task}: {n_inputs} input units, but the image shape {rows}x{cols} has {grid.shape[1]}")
        names = [f"pixel ({r},{c})" for r, c in zip(grid[0], grid[1], strict=True)]
        return pd.DataFrame(
            {
                "input_index": np.arange(n_inputs),
                "input_name": names,
                "channel": "pixel",
                "row": grid[0],
                "col": grid[1],
            }
        )
    return pd.DataFrame(
        {
            "input_index": np.arange(n_inputs),
            "input_name": input_names(task, n_inputs),
            "channel": "",
            "row": np.nan,
            "col": np.nan,
        }
    )


def input_mask_rows(metrics: dict[str, Any], init_rescaling: str) -> pd.DataFrame:
    """The input-unit survival of one level's metrics.json as tidy rows."""
    survival = np.asarray(metrics["input_unit_survival"], dtype=float)
    layout = input_layout(metrics["task"], len(survival), metrics.get("input_shape"))
    return layout.assign(
        init_rescaling=init_rescaling,
        paradigm=metrics["paradigm"],
        task=metrics["task"],
        seed=int(metrics["seed"]),
        level=int(metrics["level"]),
        fraction_remaining=float(metrics["fraction_remaining"]),
        survival=survival,
    )


def input_mask_table(metric_paths: dict[str, Iterable[str]]) -> pd.DataFrame:
    """Tidy input-mask table from level metrics, `metric_paths` keyed by init rescaling ("none" = main chain)."""
    frames = [
        input_mask_rows(load_json(path, required_keys=MASK_KEYS), rescaling)
        for rescaling, paths in metric_paths.items()
        for path in paths
    ]
    columns = ["init_rescaling", "paradigm", "task", "seed", "level", "fraction_remaining"]
    columns += ["input_index", "input_name", "channel", "row", "col", "survival"]
    table = pd.concat(frames, ignore_index=True)[columns]
    return table.sort_values(columns[:5] + ["input_index"], ignore_index=True)


# ---- Consistency across seeds -----------------------------------------------------------------------------------
def jaccard(a: set, b: set) -> float:
    """|a ∩ b| / |a ∪ b|; two empty sets are identical (1.0)."""
    union = a | b
    return 1.0 if not union else len(a & b) / len(union)


def mean_pairwise_jaccard(sets: list[set]) -> float:
    pairs = list(itertools.combinations(sets, 2))
    return float(np.mean([jaccard(a, b) for a, b in pairs])) if pairs else np.nan


def mean_pairwise_correlation(vectors: list[np.ndarray]) -> float:
    """Mean Pearson correlation of the survival vectors over seed pairs (pairs with a constant vector are skipped)."""
    values = [
        float(np.corrcoef(a, b)[0, 1]) for a, b in itertools.combinations(vectors, 2) if np.std(a) > 0 and np.std(b) > 0
    ]
    return float(np.mean(values)) if values else np.nan


def consistency_table(input_mask: pd.DataFrame) -> pd.DataFrame:
    """Per (init rescaling, paradigm, task, level): mean pairwise Jaccard of the seeds' kept input sets (an input
    is kept while any of its first-layer weights survives), mean number kept, and the mean pairwise correlation
    of the survival fractions."""
    rows = []
    keys = ["init_rescaling", "paradigm", "task", "level"]
    for key, group in input_mask.groupby(keys, sort=True):
        per_seed = [g.sort_values("input_index") for _, g in group.groupby("seed", sort=True)]
        kept = [set(g.loc[g["survival"] > 0, "input_index"]) for g in per_seed]
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "n_seeds": len(per_seed),
                "n_inputs": len(per_seed[0]),
                "percent_remaining": 100 * float(group["fraction_remaining"].mean()),
                "mean_inputs_kept": float(np.mean([len(k) for k in kept])),
                "mean_pairwise_jaccard": mean_pairwise_jaccard(kept),
                "mean_pairwise_correlation": mean_pairwise_correlation([g["survival"].to_numpy() for g in per_seed]),
            }
        )
    return pd.DataFrame(rows)


# ---- Init rescaling [R] -----------------------------------------------------------------------------------------
def rescale_initial_parameters(
    theta0: dict[str, torch.Tensor], mode: str, prunable: list[str]
) -> dict[str, torch.Tensor]:
    """θ0 with its prunable weight matrices rescaled (PROTOCOL §1.5; the formula is our reconstruction [R]).

    `none` returns θ0 unchanged. `layer_equalized` multiplies each prunable matrix by c_l = s / std_l, where
    std_l is its standard deviation and s the geometric mean of all std_l: afterwards every prunable layer has
    the same weight scale s, so global magnitude pruning compares like with like across layers. Because
    prod_l c_l = 1 and ReLU is positively homogeneous, a bias-free network computes the same function as before;
    biases and every non-prunable tensor (the critic) are left as they are.
    """
    if mode not in INIT_RESCALINGS:
        raise ValueError(f"unknown init rescaling {mode!r}; expected one of {INIT_RESCALINGS}")
    rescaled = {name: tensor.detach().clone() for name, tensor in theta0.items()}
    if mode == "none":
        return rescaled
    stds = {name: float(theta0[name].float().std()) for name in prunable}
    if any(s <= 0 for s in stds.values()):
        raise ValueError(f"cannot equalise layers with zero spread: {stds}")
    target = float(np.exp(np.mean(np.log(list(stds.values())))))
    for name in prunable:
        rescaled[name] = theta0[name] * (target / stds[name])
    return rescaled


# ---- Agents on the observation with the pruned inputs removed ----------------------------------------------------
def kept_input_indices(masks: dict[str, torch.Tensor], first_layer: str) -> list[int]:
    """Input units with at least one surviving first-layer weight (Linear weight is out x in)."""
    return torch.nonzero(masks[first_layer].any(dim=0)).squeeze(1).tolist()


def keep_inputs_wrapper():
    """The gymnasium ObservationWrapper class (built lazily so this module imports without gymnasium)."""
    import gymnasium as gym

    class KeepInputs(gym.ObservationWrapper):
        """Flatten the observation and keep only the listed input units (in SB3's flattening order)."""

        def __init__(self, env, keep: list[int]):
            super().__init__(env)
            low = np.asarray(env.observation_space.low, dtype=np.float32).reshape(-1)
            high = np.asarray(env.observation_space.high, dtype=np.float32).reshape(-1)
            self.keep = np.asarray(keep, dtype=np.int64)
            if self.keep.size == 0 or self.keep.max() >= low.size or self.keep.min() < 0:
                raise ValueError(f"keep must list input units in [0, {low.size}), got {keep}")
            self.observation_space = gym.spaces.Box(low[self.keep], high[self.keep], dtype=np.float32)

        def observation(self, observation):
            return np.asarray(observation, dtype=np.float32).reshape(-1)[self.keep]

    return KeepInputs


def train_masked_input_agent(
    task_id: str, settings: dict[str, Any], seed: int, keep: list[int], budget: dict[str, int]
) -> dict[str, Any]:
    """Train a dense PPO agent (the task's network and hyper-parameters) on the observation reduced to `keep`.

    The full-observation control calls this with every input kept, so both variants share one code path.
    """
    import time

    from .training import PeriodicEvaluation, evaluate, make_eval_env, make_ppo

    start = time.perf_counter()
    wrapper = {"wrapper_class": keep_inputs_wrapper(), "wrapper_kwargs": {"keep": keep}}
    model = make_ppo(task_id, settings, seed, wrapper)
    eval_env = make_eval_env(task_id, seed, budget["eval_episodes"], wrapper)
    callback = PeriodicEvaluation(eval_env, budget["eval_episodes"], budget["eval_every_steps"])
    mean, std = evaluate(model, eval_env, budget["eval_episodes"])  # the untrained agent: curves start at step 0
    callback.history.append({"step": 0, "mean_return": mean, "std_return": std})
    model.learn(total_timesteps=budget["total_timesteps"], callback=callback)
    means = [h["mean_return"] for h in callback.history]
    return {
        "task": task_id,
        "seed": seed,
        "n_inputs": len(keep),
        "kept_inputs": list(keep),
        "history": callback.history,
        "best_return": float(max(means)),
        "final_return": float(means[-1]),
        "train_steps": int(model.num_timesteps),
        "wall_time_s": time.perf_counter() - start,
    }


def masked_input_curves(metric_paths: dict[str, Iterable[str]]) -> pd.DataFrame:
    """Tidy training curves of the masked-input agents, `metric_paths` keyed by variant (full, pruned)."""
    rows = []
    for variant, paths in metric_paths.items():
        for path in paths:
            m = load_json(path, required_keys=("task", "seed", "n_inputs", "history"))
            rows += [
                {
                    "task": m["task"],
                    "variant": variant,
                    "seed": m["seed"],
                    "n_inputs": m["n_inputs"],
                    "step": h["step"],
                    "mean_return": h["mean_return"],
                }
                for h in m["history"]
            ]
    return pd.DataFrame(rows).sort_values(["task", "variant", "seed", "step"], ignore_index=True)


# ---- Claims 3-4 (PROTOCOL §3) -----------------------------------------------------------------------------------
def group_gap(frame: pd.DataFrame, relevant: pd.Series, irrelevant: pd.Series) -> pd.Series:
    """Per seed: mean over pruned levels (level >= 1) of [mean survival of relevant units - of irrelevant units].

    Positive means the irrelevant units lose their weights first.
    """
    pruned = frame["level"] >= 1
    by = ["seed", "level"]
    rel = frame[relevant & pruned].groupby(by)["survival"].mean()
    irr = frame[irrelevant & pruned].groupby(by)["survival"].mean()
    return (rel - irr).groupby("seed").mean()


def _claim(claim: str, task: str, paradigm: str, statistic: str, per_seed: pd.Series, detail: str) -> dict[str, Any]:
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
    from .envs import patrol_route

    rows, cols = TASKS[task].image_size
    border = frame["row"].isin([0, rows - 1]) | frame["col"].isin([0, cols - 1])
    route = {(r, c) for r, c in patrol_route(rows)}
    on_route = pd.Series([(r, c) in route for r, c in zip(frame["row"], frame["col"], strict=True)], index=frame.index)
    return border, on_route


def representation_claims(
    input_mask: pd.DataFrame, consistency: pd.DataFrame, grid_task: str | None, digits_task: str | None
) -> pd.DataFrame:
    """Claims 3 and 4 of PROTOCOL §3 (plus the poster's enemy-route statement), each with effect, n and verdict."""
    rows = []
    main = input_mask[input_mask["init_rescaling"] == "none"]
    if digits_task is not None:
        digits = main[main["task"] == digits_task]
        if len(digits):
            size = int(digits["row"].max()) + 1
            rim = digits["row"].isin([0, size - 1]) | digits["col"].isin([0, size - 1])
            rows.append(
                _claim(
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
                _claim(
                    "3: the noise distractor channel is pruned before the task channels",
                    grid_task,
                    paradigm,
                    "mean over levels>=1 of survival(agent/goal/enemy inner cells) - survival(noise channel)",
                    group_gap(grid, relevant, grid["channel"] == "noise"),
                    "noise channel: all cells",
                )
            )
            rows.append(
                _claim(
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
                _claim(
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
        row = _claim(
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
