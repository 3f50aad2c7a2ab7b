"""The representation stage's tidy tables (numpy and pandas only): which input units a ticket keeps, how
consistent the kept sets are across seeds, and the masked-input agents' training curves.

* `input_mask_table`: per (init rescaling, paradigm, task, seed, level) and input unit, the fraction of the unit's
  first-layer weights that survive, with the unit named (state dim, or channel x row x col of an image).
* `consistency_table`: how consistently the seeds identify the same inputs, per level: the leave-one-out rank
  agreement of the input-survival vectors (claim 4's measure, `identification_per_seed`), and the mean pairwise
  Jaccard of the kept input sets (descriptive only: it is 1 whenever nothing is pruned, so it rewards not pruning).
* `masked_input_curves`: the training curves of dense agents on the observation with pruned inputs removed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..core.tasks import TASKS, input_names
from ..infra.artifacts import load_json

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


def rank(values: np.ndarray) -> np.ndarray:
    """Mid-ranks (ties share the mean of their ranks), as Spearman's correlation uses them."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (Pearson on mid-ranks); NaN when either vector is constant."""
    ra, rb = rank(a), rank(b)
    if np.std(ra) == 0 or np.std(rb) == 0:
        return np.nan
    return float(np.corrcoef(ra, rb)[0, 1])


def identification_per_seed(input_mask: pd.DataFrame) -> pd.DataFrame:
    """Claim 4's measure (docs/protocol.md §1.5): per (init rescaling, paradigm, task, level, seed), the Spearman
    rank correlation between the seed's input-survival vector (fraction of each input's first-layer weights that
    survive) and the mean vector of the *other* seeds at the same level (leave-one-out consensus).

    It asks whether the seeds agree on which inputs matter more, at matched sparsity (one level = one global
    sparsity for every seed and every init rescaling), and is defined whatever the number of inputs pruned:
    it does not reward keeping everything (a constant vector, e.g. level 0, gives NaN, not 1). One value per seed,
    so its spread is over seeds. Needs >= 2 seeds.
    """
    rows = []
    keys = ["init_rescaling", "paradigm", "task", "level"]
    for key, group in input_mask.groupby(keys, sort=True):
        vectors = {
            int(seed): g.sort_values("input_index")["survival"].to_numpy(dtype=float)
            for seed, g in group.groupby("seed", sort=True)
        }
        for seed, vector in vectors.items():
            others = [v for s, v in vectors.items() if s != seed]
            score = spearman(vector, np.mean(others, axis=0)) if others else np.nan
            rows.append({**dict(zip(keys, key, strict=True)), "seed": seed, "identification": score})
    return pd.DataFrame(rows, columns=[*keys, "seed", "identification"])


def consistency_table(input_mask: pd.DataFrame) -> pd.DataFrame:
    """Per (init rescaling, paradigm, task, level): the identification across seeds (mean, sd and count over seeds
    of `identification_per_seed`), and, descriptive only, the mean pairwise Jaccard of the seeds' kept input sets
    (an input is kept while any of its first-layer weights survives), the mean number kept, and the mean pairwise
    Pearson correlation of the survival fractions."""
    rows = []
    keys = ["init_rescaling", "paradigm", "task", "level"]
    identification = identification_per_seed(input_mask).groupby(keys)["identification"]
    id_mean, id_sd, id_n = identification.mean(), identification.std(), identification.count()
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
                "identification_mean": float(id_mean.get(key, np.nan)),
                "identification_sd": float(id_sd.get(key, np.nan)),
                "identification_n": int(id_n.get(key, 0)),
            }
        )
    return pd.DataFrame(rows)


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
