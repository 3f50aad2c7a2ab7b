"""One IMP level: derive the mask from the previous level, rewind to θ0, train (RL or BC), report.

Level 0 is the dense run from θ0. Level k > 0 prunes `prune_fraction` of the weights that survived level
k-1, using level k-1's *trained* weights, then rewinds the survivors to θ0 (the ticket `m_k ⊙ θ0`).
"""

from __future__ import annotations

from typing import Any

import torch

from .pruning import fraction_remaining, input_unit_survival, layer_sparsity, prune_global_magnitude

PARADIGMS = ("rl", "bc")


def masks_for_level(
    level: int,
    dense: dict[str, torch.Tensor],
    previous_masks: dict[str, torch.Tensor] | None,
    previous_weights: dict[str, torch.Tensor] | None,
    prune_fraction: float,
) -> dict[str, torch.Tensor]:
    if level == 0:
        return dense
    if previous_masks is None or previous_weights is None:
        raise ValueError(f"level {level} needs the masks and trained weights of level {level - 1}")
    return prune_global_magnitude(previous_weights, previous_masks, prune_fraction)


def level_report(masks: dict[str, torch.Tensor], first_layer: str) -> dict[str, Any]:
    return {
        "fraction_remaining": fraction_remaining(masks),
        "layer_sparsity": layer_sparsity(masks),
        "first_layer": first_layer,
        "input_unit_survival": input_unit_survival(masks, first_layer),
    }


def run_identity(
    paradigm: str, task_id: str, seed: int, level: int, masks: dict[str, torch.Tensor], theta0: dict[str, torch.Tensor]
) -> dict[str, Any]:
    """What a level folder's metrics.json says about itself: which run it is and what its mask keeps."""
    from .masking import prunable_weight_names

    return {
        "paradigm": paradigm,
        "task": task_id,
        "seed": seed,
        "level": level,
        **level_report(masks, prunable_weight_names(theta0)[0]),
    }


def train_masked(
    paradigm: str,
    task_id: str,
    settings: dict[str, Any],
    seed: int,
    init: dict[str, torch.Tensor],
    masks: dict[str, torch.Tensor],
    dataset: dict | None = None,
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Train `masks ⊙ init` with RL (PPO) or BC for the task's budget. Returns (trained state_dict, metrics).

    The one training path shared by tickets and their baselines: only the mask and the init differ.
    """
    from .bc import train_bc
    from .training import train_ppo

    if paradigm not in PARADIGMS:
        raise ValueError(f"unknown paradigm {paradigm!r}; expected one of {PARADIGMS}")
    if paradigm == "rl":
        rl = settings["rl"]
        model, metrics = train_ppo(
            task_id,
            settings,
            seed,
            rl["total_timesteps"],
            rl["eval_every_steps"],
            rl["eval_episodes"],
            theta0=init,
            masks=masks,
        )
        policy = model.policy
    else:
        if dataset is None:
            raise ValueError("the BC paradigm needs the expert dataset")
        bc = settings["bc"]
        policy, metrics = train_bc(
            task_id,
            settings,
            seed,
            dataset,
            bc["epochs"],
            bc["batch_size"],
            bc["learning_rate"],
            bc["eval_every_epochs"],
            bc["eval_episodes"],
            theta0=init,
            masks=masks,
        )
    return {k: v.detach().clone() for k, v in policy.state_dict().items()}, metrics


def run_level(
    paradigm: str,
    task_id: str,
    settings: dict[str, Any],
    imp_settings: dict[str, Any],
    seed: int,
    level: int,
    theta0: dict[str, torch.Tensor],
    previous_masks: dict[str, torch.Tensor] | None = None,
    previous_weights: dict[str, torch.Tensor] | None = None,
    dataset: dict | None = None,
):
    """Train the ticket of one level. Returns (masks, trained policy state_dict, metrics)."""
    from .masking import dense_masks

    dense = dense_masks(theta0, include_critic=imp_settings["prune_critic"])
    masks = masks_for_level(level, dense, previous_masks, previous_weights, imp_settings["prune_fraction"])
    weights, metrics = train_masked(paradigm, task_id, settings, seed, theta0, masks, dataset)
    return masks, weights, {**run_identity(paradigm, task_id, seed, level, masks, theta0), **metrics}
