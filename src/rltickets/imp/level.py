"""One IMP level: derive the mask from the previous level, rewind to θ0, train (RL or BC), report.

Level 0 is the dense run from θ0. Level k > 0 prunes `prune_fraction` of the weights that survived level
k-1, using level k-1's *trained* weights, then rewinds the survivors to θ0 (the ticket `m_k ⊙ θ0`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ..core.masking import dense_masks, prunable_weight_names
from ..core.pruning import (
    connectivity,
    fraction_remaining,
    input_unit_survival,
    layer_sparsity,
    output_layer_name,
    prune_level,
)
from ..infra.settings import ImpSettings, TaskSettings

PARADIGMS = ("rl", "bc")
Tensors = dict[str, torch.Tensor]


@dataclass(frozen=True)
class LevelId:
    """Which network a level folder holds: its paradigm, task, seed and IMP level."""

    paradigm: str
    task: str
    seed: int
    level: int

    def __post_init__(self):
        if self.paradigm not in PARADIGMS:
            raise ValueError(f"unknown paradigm {self.paradigm!r}; expected one of {PARADIGMS}")


def masks_for_level(
    level: int,
    dense: Tensors,
    previous_masks: Tensors | None,
    previous_weights: Tensors | None,
    prune: ImpSettings | float,
) -> Tensors:
    """Level k's mask: dense at level 0, else one IMP step from level k-1's mask and trained weights.

    `prune` is the job's `ImpSettings` (its prune fraction and output-layer rule, `imp.output_layer`,
    `imp.layer_floor`). A bare fraction is the plain global rule (`output_layer: prune`), as every caller passed
    before the output-layer rule existed.
    """
    if level == 0:
        return dense
    if previous_masks is None or previous_weights is None:
        raise ValueError(f"level {level} needs the masks and trained weights of level {level - 1}")
    if isinstance(prune, ImpSettings):
        return prune_level(
            previous_weights, previous_masks, prune.prune_fraction, prune.output_layer, prune.layer_floor
        )
    return prune_level(previous_weights, previous_masks, float(prune), "prune")


def level_report(masks: Tensors, first_layer: str) -> dict[str, Any]:
    """What a level's metrics.json says about its mask: sparsity per layer, input-unit survival, and whether the
    network is still connected (`disconnected`: a masked layer is empty, or no input reaches an output)."""
    return {
        "fraction_remaining": fraction_remaining(masks),
        "layer_sparsity": layer_sparsity(masks),
        "first_layer": first_layer,
        "input_unit_survival": input_unit_survival(masks, first_layer),
        "output_layer": output_layer_name(masks),
        **connectivity(masks),
    }


def run_identity(run: LevelId, masks: Tensors, theta0: Tensors) -> dict[str, Any]:
    """What a level folder's metrics.json says about itself: which run it is and what its mask keeps."""
    return {
        "paradigm": run.paradigm,
        "task": run.task,
        "seed": run.seed,
        "level": run.level,
        **level_report(masks, prunable_weight_names(theta0)[0]),
    }


def train_masked(
    run: LevelId, settings: TaskSettings, init: Tensors, masks: Tensors, dataset: dict | None = None
) -> tuple[Tensors, dict[str, Any]]:
    """Train `masks ⊙ init` with RL (PPO) or BC for the task's budget. Returns (trained state_dict, metrics).

    The one training path shared by tickets and their baselines: only the mask and the init differ.
    """
    from ..core.cloning import train_bc
    from ..core.ppo import train_ppo

    if run.paradigm == "rl":
        model, metrics = train_ppo(run.task, settings, run.seed, settings.need("rl"), theta0=init, masks=masks)
        policy = model.policy
    else:
        if dataset is None:
            raise ValueError("the BC paradigm needs the expert dataset")
        policy, metrics = train_bc(run.task, settings, run.seed, dataset, settings.need("bc"), theta0=init, masks=masks)
    return {k: v.detach().clone() for k, v in policy.state_dict().items()}, metrics


def run_level(
    run: LevelId,
    settings: TaskSettings,
    imp: ImpSettings,
    theta0: Tensors,
    previous: tuple[Tensors, Tensors] | None = None,
    dataset: dict | None = None,
) -> tuple[Tensors, Tensors, dict[str, Any]]:
    """Train the ticket of one level; `previous` = (masks, trained weights) of level k-1 (None at level 0).
    Returns (masks, trained policy state_dict, metrics)."""
    dense = dense_masks(theta0, include_critic=imp.prune_critic)
    previous_masks, previous_weights = previous if previous is not None else (None, None)
    masks = masks_for_level(run.level, dense, previous_masks, previous_weights, imp.prune_fraction)
    weights, metrics = train_masked(run, settings, theta0, masks, dataset)
    return masks, weights, {**run_identity(run, masks, theta0), **metrics}
