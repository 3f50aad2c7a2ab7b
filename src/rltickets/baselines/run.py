"""Train one disentangling baseline of one level: derive its start from the ticket's mask, then train it exactly
like the ticket (`imp.level.train_masked`)."""

from __future__ import annotations

from typing import Any

from ..core.ppo import initial_parameters
from ..imp.level import LevelId, Tensors, run_identity, train_masked
from ..infra.settings import ImpSettings, TaskSettings
from .transforms import baseline_start, reinit_seed


def run_baseline(
    condition: str,
    run: LevelId,
    settings: TaskSettings,
    imp: ImpSettings,
    theta0: Tensors,
    ticket_masks: Tensors,
    dataset: dict | None = None,
) -> tuple[Tensors, Tensors, dict[str, Any]]:
    """Train `condition` at `run.level` from the ticket chain's mask there. Returns (masks, trained state_dict,
    metrics)."""
    # random/reinit: a fresh actor per (seed, level); its critic and log_std stay θ0's (transforms.random_reinit_start).
    fresh = (
        initial_parameters(run.task, settings, reinit_seed(run.seed, run.level))
        if condition == "random_reinit"
        else None
    )
    masks, init = baseline_start(condition, ticket_masks, theta0, fresh, run.seed, run.level)
    weights, metrics = train_masked(run, settings, init, masks, dataset)
    identity = run_identity(run, masks, theta0)
    metrics = {"condition": condition, "prune_critic": imp.prune_critic, **identity, **metrics}
    return masks, weights, metrics
