"""Behavioural cloning of N students at once: the batched counterpart of `rltickets.core.cloning.train_bc`.

The N actors live in one `StackedPolicy`; each has its own dataset (the expert data of its seed), its own held-out
split (`validation_split` of its stream seed), its own data order (a generator seeded by its stream seed, as the
SB3 path's `manual_seed(seed)`) and its own `PlateauStopper` column. The loss of the batch is the sum of the N
per-network mean losses, so each network's gradient is its own loss's gradient, and Adam is elementwise: a network
trains as it would alone. The datasets must have the same number of pairs (the config gives every seed of a task
the same `n_transitions`), so that every network takes the same number of minibatch steps per epoch.

A network that has stopped keeps being stepped with the others (its minibatches are still drawn, so nothing of
the others changes), but nothing of it is recorded after its stop: under `plateau` its best-validation weights,
saved when they were reached, are what it returns; under `fixed` every network stops at the last epoch.

The env evaluation is the SB3 path's (`core.ppo.evaluate` on an SB3 policy holding the network's weights, one
persistent evaluation env per network seeded as `train_bc` seeds it), so the evaluations match `train_bc`'s.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..core.cloning import action_agreement, evaluation_record, finite_or_none, validation_split
from ..core.ppo import make_eval_env, make_ppo, summarise_history
from ..core.stopping import PlateauStopper
from ..core.tasks import get_task
from ..infra.settings import BcBudget, TaskSettings
from .policy import ACTOR_PREFIX, NetworkSpec, StackedPolicy


def actor_names(policy: StackedPolicy) -> list[str]:
    """The SB3 names of the actor's parameters (what BC trains; the critic and log_std stay θ0's)."""
    return [name for name in policy.names if name.startswith((ACTOR_PREFIX, "action_net."))]


def per_network_loss(task_id: str, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """`core.cloning.imitation_loss` per network: outputs [N, B, A], targets [N, B] (discrete) or [N, B, A]
    (continuous) -> [N] mean cross-entropy / mean squared error."""
    n_networks, batch = outputs.shape[:2]
    if get_task(task_id).continuous:
        return (outputs - targets).pow(2).reshape(n_networks, -1).mean(1)
    flat = torch.nn.functional.cross_entropy(
        outputs.reshape(n_networks * batch, -1), targets.reshape(-1), reduction="none"
    )
    return flat.view(n_networks, batch).mean(1)


def _stack_datasets(datasets: Sequence[dict[str, np.ndarray]]) -> tuple[torch.Tensor, torch.Tensor]:
    sizes = {len(d["actions"]) for d in datasets}
    if len(sizes) != 1:
        raise ValueError(f"the batched students need datasets of one size, got sizes {sorted(sizes)}")
    observations = torch.stack([torch.as_tensor(d["observations"]).reshape(len(d["actions"]), -1) for d in datasets])
    actions = torch.stack([torch.as_tensor(d["actions"]) for d in datasets])
    return observations, actions


def _rows(tensor: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """tensor [N, n, ...], index [N, B] -> tensor[n, index[n]] stacked: [N, B, ...]."""
    return tensor[torch.arange(len(index)).unsqueeze(1), index]


def train_bc_batched(
    task_id: str,
    settings: TaskSettings,
    networks: Sequence[NetworkSpec],
    datasets: Sequence[dict[str, np.ndarray]],
    budget: BcBudget,
) -> tuple[StackedPolicy, list[dict[str, Any]]]:
    """Train N students (network n: init `networks[n].init`, masks `.masks`, seed `.stream_seed`, data
    `datasets[n]`, observations standardised with `.observation_standardization` if given) as `train_bc` trains
    each. Returns the stacked policy (network n's returned weights: the
    best-validation ones under `plateau`, the last under `fixed`) and one metrics dict per network, with
    `train_bc`'s keys (`wall_time_s`: the batch's wall time shared equally) plus batch_networks and
    batch_wall_time_s, as `engine.ppo.train_ppo_batched`."""
    if len(networks) != len(datasets):
        raise ValueError(f"{len(networks)} networks but {len(datasets)} datasets")
    start = time.perf_counter()
    n_networks, seeds = len(networks), [spec.stream_seed for spec in networks]
    template = make_ppo(task_id, settings, seeds[0]).policy  # for the env evaluation and the action bounds
    template.set_training_mode(False)
    policy = StackedPolicy.from_specs(networks, settings.network.activation)
    trained = actor_names(policy)
    optimizer = torch.optim.Adam([policy.param(name) for name in trained], lr=budget.learning_rate)

    # A network with observation statistics learns from, and is evaluated on, standardised observations.
    standardizations = [spec.observation_standardization for spec in networks]
    datasets = [d if s is None else s.standardize_dataset(d) for d, s in zip(datasets, standardizations, strict=True)]
    observations, actions = _stack_datasets(datasets)
    splits = [validation_split(actions.shape[1], budget.validation_fraction, seed) for seed in seeds]
    train_idx = torch.stack([train for train, _ in splits])
    val_idx = torch.stack([val for _, val in splits])
    if budget.stopping == "plateau" and val_idx.shape[1] == 0:
        raise ValueError("bc.stopping plateau needs a validation split: set bc.validation_fraction > 0")
    train_obs, train_actions = _rows(observations, train_idx), _rows(actions, train_idx)
    val_obs, val_actions = _rows(observations, val_idx), _rows(actions, val_idx)
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    eval_envs = [
        make_eval_env(task_id, seed, budget.eval_episodes, None if s is None else s.sb3_wrapper())
        for seed, s in zip(seeds, standardizations, strict=True)
    ]

    stopper = PlateauStopper(n_networks, budget.epochs, budget.patience, budget.stopping)
    best = {name: policy.param(name).detach().clone() for name in trained}
    histories: list[list[dict[str, Any]]] = [[] for _ in range(n_networks)]
    losses, val_losses = [], []  # per epoch: [N] arrays
    n_train = train_idx.shape[1]
    while not stopper.done:
        orders = torch.stack([torch.randperm(n_train, generator=g) for g in generators])
        epoch_loss, n_batches = torch.zeros(n_networks, dtype=torch.float64), 0
        for batch in orders.split(budget.batch_size, dim=1):
            loss = per_network_loss(task_id, policy.actor(_rows(train_obs, batch)), _rows(train_actions, batch))
            optimizer.zero_grad()
            loss.sum().backward()
            optimizer.step()
            epoch_loss, n_batches = epoch_loss + loss.detach().double(), n_batches + 1
        losses.append((epoch_loss / n_batches).numpy())
        val_loss = np.full(n_networks, np.nan)
        if val_idx.shape[1]:
            with torch.no_grad():
                val_loss = per_network_loss(task_id, policy.actor(val_obs), val_actions).double().numpy()
        val_losses.append(val_loss)
        improved = torch.as_tensor(stopper.update(val_loss))
        with torch.no_grad():
            for name in trained:
                best[name][improved] = policy.param(name)[improved]
        epoch = stopper.epoch
        if epoch % budget.eval_every_epochs == 0:
            for n in np.flatnonzero(stopper.running):
                template.load_state_dict(policy.state_dict_of(n))
                per_epoch = _per_network(losses, val_losses, n)
                histories[n].append(
                    evaluation_record(template, eval_envs[n], budget.eval_episodes, epoch, epoch, *per_epoch)
                )

    if budget.stopping == "plateau":
        with torch.no_grad():
            for name in trained:
                policy.param(name).copy_(best[name])
    wall_time = time.perf_counter() - start
    space = template.action_space
    bounds = (space.low, space.high) if hasattr(space, "low") else (None, None)
    with torch.no_grad():
        train_out, val_out = policy.actor(train_obs), policy.actor(val_obs)
    all_metrics = []
    for n in range(n_networks):
        stopped_epoch = int(stopper.stopped_epoch[n])
        weights_epoch = int(stopper.best_epoch[n]) if budget.stopping == "plateau" else stopped_epoch
        template.load_state_dict(policy.state_dict_of(n))
        per_epoch = _per_network(losses, val_losses, n, stopped_epoch)
        histories[n].append(
            evaluation_record(template, eval_envs[n], budget.eval_episodes, stopped_epoch, weights_epoch, *per_epoch)
        )
        all_metrics.append(
            {
                **summarise_history(histories[n]),
                "history": histories[n],
                "loss_per_epoch": per_epoch[0],
                "val_loss_per_epoch": [finite_or_none(v) for v in per_epoch[1]],
                "train_epochs": stopped_epoch,
                "stopping": budget.stopping,
                "stopped_epoch": stopped_epoch,
                "best_epoch": int(stopper.best_epoch[n]) or None,
                "weights_epoch": weights_epoch,
                "best_val_loss": finite_or_none(stopper.best_loss[n]),
                "train_agreement": action_agreement(train_out[n], train_actions[n], *bounds),
                "val_agreement": finite_or_none(action_agreement(val_out[n], val_actions[n], *bounds)),
                "wall_time_s": wall_time / n_networks,
                "batch_networks": n_networks,
                "batch_wall_time_s": wall_time,
            }
        )
    return policy, all_metrics


def _per_network(
    losses: list[np.ndarray], val_losses: list[np.ndarray], n: int, up_to: int | None = None
) -> tuple[list[float], list[float]]:
    """Network n's training and validation losses of the epochs up to `up_to` (its stop: nothing after it is
    recorded)."""
    return [float(epoch[n]) for epoch in losses[:up_to]], [float(epoch[n]) for epoch in val_losses[:up_to]]
