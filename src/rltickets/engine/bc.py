"""Behavioural cloning of N students at once: the batched counterpart of `rltickets.core.cloning.train_bc`.

The N actors live in one `StackedPolicy`; each has its own dataset (the expert data of its seed), its own held-out
split (`validation_split` of its stream seed), its own data order (a generator seeded by its stream seed, as the
SB3 path's `manual_seed(seed)`) and its own `PlateauStopper` column. The loss of the batch is the sum of the N
per-network mean losses, so each network's gradient is its own loss's gradient, and Adam is elementwise: a network
trains as it would alone. The datasets must have the same number of pairs (the config gives every seed of a task
the same `n_transitions`), so that every network takes the same number of minibatch steps per epoch.

A network that stops leaves the batch: its returned weights (under `plateau` its best-validation ones, saved when
they were reached; under `fixed` the last) are evaluated once more and set aside, and the others go on as a smaller
batch (their weights and Adam moments copied row by row). Since a network's numbers do not depend on which others
share its batch, dropping one changes nothing of the rest, bit for bit.

The env evaluation is `engine.evaluation.evaluate_networks`, every network still training at once: evaluation k of
a network runs on fresh envs seeded from (stream seed, k) only (`core.ppo.eval_seed`), as `train_bc` evaluates.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from ..core.cloning import action_agreement, evaluation_record, finite_or_none, validation_split
from ..core.observations import stacked_affine
from ..core.ppo import summarise_history
from ..core.stopping import PlateauStopper
from ..core.tasks import env_id, get_task
from ..infra.settings import BcBudget, TaskSettings
from .evaluation import evaluate_networks
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


def action_bounds(task_id: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The action box the env clips a continuous action to (what `core.cloning.policy_agreement` reads from the
    SB3 policy); (None, None) for discrete actions."""
    env = gym.make(env_id(task_id))
    space = env.action_space
    env.close()
    return (space.low, space.high) if isinstance(space, gym.spaces.Box) else (None, None)


class Students:
    """The students still training: their stacked actors, Adam, data and generators, row r being network
    `networks[r]` of the batch. `keep` drops the others."""

    def __init__(self, policy: StackedPolicy, learning_rate: float, data: dict[str, torch.Tensor], generators):
        self.networks = np.arange(policy.num_networks)
        self.policy = policy
        self.trained = actor_names(policy)
        self.optimizer = torch.optim.Adam([policy.param(name) for name in self.trained], lr=learning_rate)
        self.data = data  # train_obs, train_actions, val_obs, val_actions: [rows, ...]
        self.best = {name: policy.param(name).detach().clone() for name in self.trained}
        self.generators = list(generators)

    def keep(self, rows: np.ndarray) -> None:
        """Keep rows `rows` only: their weights, Adam moments, best weights, data and generators, bit for bit."""
        index = torch.as_tensor(rows, dtype=torch.long)
        old_params = [self.policy.param(name) for name in self.trained]
        old_state = [self.optimizer.state[p] for p in old_params]
        learning_rate = self.optimizer.param_groups[0]["lr"]
        self.policy = self.policy.select(rows.tolist())
        new_params = [self.policy.param(name) for name in self.trained]
        self.optimizer = torch.optim.Adam(new_params, lr=learning_rate)
        for new, state in zip(new_params, old_state, strict=True):
            # `step` is one count for all networks (0-dim); the moments are stacked like the weights.
            self.optimizer.state[new] = {k: v[index].clone() if v.dim() else v.clone() for k, v in state.items()}
        self.best = {name: best[index] for name, best in self.best.items()}
        self.data = {key: tensor[index] for key, tensor in self.data.items()}
        self.generators = [self.generators[r] for r in rows]
        self.networks = self.networks[rows]

    def returned_weights(self, row: int, best: bool) -> dict[str, torch.Tensor]:
        """Row `row`'s trained parameters: its best-validation ones (`best`) or its last ones."""
        return {name: (self.best[name] if best else self.policy.param(name))[row] for name in self.trained}


def train_bc_batched(
    task_id: str,
    settings: TaskSettings,
    networks: Sequence[NetworkSpec],
    datasets: Sequence[dict[str, np.ndarray]],
    budget: BcBudget,
) -> tuple[StackedPolicy, list[dict[str, Any]]]:
    """Train N students (network n: init `networks[n].init`, masks `.masks`, seed `.stream_seed`, data
    `datasets[n]`, observations standardised with `.observation_standardization` if given) as `train_bc` trains
    each. Returns the stacked policy (network n's returned weights: the best-validation ones under `plateau`, the
    last under `fixed`) and one metrics dict per network, with `train_bc`'s keys (`wall_time_s`: the batch's wall
    time shared equally) plus batch_networks and batch_wall_time_s, as `engine.ppo.train_ppo_batched`."""
    if len(networks) != len(datasets):
        raise ValueError(f"{len(networks)} networks but {len(datasets)} datasets")
    start = time.perf_counter()
    n_networks, seeds = len(networks), [spec.stream_seed for spec in networks]
    returned = StackedPolicy.from_specs(networks, settings.network.activation)  # row n: network n once it stops

    # A network with observation statistics learns from, and is evaluated on, standardised observations.
    standardizations = [spec.observation_standardization for spec in networks]
    datasets = [d if s is None else s.standardize_dataset(d) for d, s in zip(datasets, standardizations, strict=True)]
    affine = stacked_affine(standardizations)
    observations, actions = _stack_datasets(datasets)
    splits = [validation_split(actions.shape[1], budget.validation_fraction, seed) for seed in seeds]
    train_idx = torch.stack([train for train, _ in splits])
    val_idx = torch.stack([val for _, val in splits])
    if budget.stopping == "plateau" and val_idx.shape[1] == 0:
        raise ValueError("bc.stopping plateau needs a validation split: set bc.validation_fraction > 0")
    data_all = {
        "train_obs": _rows(observations, train_idx),
        "train_actions": _rows(actions, train_idx),
        "val_obs": _rows(observations, val_idx),
        "val_actions": _rows(actions, val_idx),
    }
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    students = Students(returned.select(range(n_networks)), budget.learning_rate, data_all, generators)
    restore_best = budget.stopping == "plateau"

    def evaluate(policy: StackedPolicy, ids: np.ndarray, step: int, weights_epochs: Sequence[int]) -> None:
        """One evaluation of the networks `ids` (row r of `policy` is network ids[r], holding the weights of epoch
        weights_epochs[r]). They have been evaluated equally often, so this is evaluation k of each."""
        k = len(histories[ids[0]])
        assert all(len(histories[n]) == k for n in ids), "networks evaluated together share their evaluation index"
        observation_affine = None if affine is None else (affine[0][ids], affine[1][ids])
        ids_seeds = [seeds[n] for n in ids]
        means, stds = evaluate_networks(policy, task_id, ids_seeds, budget.eval_episodes, k, observation_affine)
        for row, n in enumerate(ids):
            per_epoch = _per_network(losses, val_losses, n, step)
            histories[n].append(evaluation_record(step, weights_epochs[row], means[row], stds[row], *per_epoch))

    stopper = PlateauStopper(n_networks, budget.epochs, budget.patience, budget.stopping)
    histories: list[list[dict[str, Any]]] = [[] for _ in range(n_networks)]
    losses, val_losses = [], []  # per epoch: [N] arrays (NaN for the networks that have left the batch)
    n_train = train_idx.shape[1]
    while not stopper.done:
        policy, data = students.policy, students.data
        orders = torch.stack([torch.randperm(n_train, generator=g) for g in students.generators])
        epoch_loss, n_batches = torch.zeros(len(students.networks), dtype=torch.float64), 0
        for batch in orders.split(budget.batch_size, dim=1):
            loss = per_network_loss(
                task_id, policy.actor(_rows(data["train_obs"], batch)), _rows(data["train_actions"], batch)
            )
            students.optimizer.zero_grad()
            loss.sum().backward()
            students.optimizer.step()
            epoch_loss, n_batches = epoch_loss + loss.detach().double(), n_batches + 1
        losses.append(np.full(n_networks, np.nan))
        losses[-1][students.networks] = (epoch_loss / n_batches).numpy()
        val_loss = np.full(n_networks, np.nan)
        if val_idx.shape[1]:
            with torch.no_grad():
                val_out = policy.actor(data["val_obs"])
                val_loss[students.networks] = per_network_loss(task_id, val_out, data["val_actions"]).double().numpy()
        val_losses.append(val_loss)
        improved = torch.as_tensor(stopper.update(val_loss)[students.networks])
        with torch.no_grad():
            for name in students.trained:
                students.best[name][improved] = policy.param(name)[improved]
        epoch = stopper.epoch

        # Networks that stopped now leave the batch: their returned weights are set aside and evaluated at the stop.
        still_running = stopper.running[students.networks]
        if not still_running.all():
            stopped_rows = np.flatnonzero(~still_running)
            stopped = students.networks[stopped_rows]
            # As train_bc: the best-validation weights under plateau, unless no epoch ever had a finite validation
            # loss (then, as under fixed, the last ones).
            use_best = restore_best & (stopper.best_epoch[stopped] > 0)
            with torch.no_grad():
                for row, n, best in zip(stopped_rows, stopped, use_best, strict=True):
                    for name, value in students.returned_weights(row, best).items():
                        returned.param(name)[n] = value
            weights_epochs = np.where(use_best, stopper.best_epoch[stopped], epoch)
            evaluate(returned.select(stopped.tolist()), stopped, epoch, weights_epochs.tolist())
            if still_running.any():
                students.keep(np.flatnonzero(still_running))
        if not stopper.done and epoch % budget.eval_every_epochs == 0:
            evaluate(students.policy, students.networks, epoch, [epoch] * len(students.networks))

    wall_time = time.perf_counter() - start
    bounds = action_bounds(task_id)
    with torch.no_grad():
        train_out, val_out = returned.actor(data_all["train_obs"]), returned.actor(data_all["val_obs"])
    all_metrics = []
    for n in range(n_networks):
        stopped_epoch = int(stopper.stopped_epoch[n])
        weights_epoch = histories[n][-1]["weights_epoch"]
        per_epoch = _per_network(losses, val_losses, n, stopped_epoch)
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
                "train_agreement": action_agreement(train_out[n], data_all["train_actions"][n], *bounds),
                "val_agreement": finite_or_none(action_agreement(val_out[n], data_all["val_actions"][n], *bounds)),
                "wall_time_s": wall_time / n_networks,
                "batch_networks": n_networks,
                "batch_wall_time_s": wall_time,
            }
        )
    return returned, all_metrics


def _per_network(
    losses: list[np.ndarray], val_losses: list[np.ndarray], n: int, up_to: int | None = None
) -> tuple[list[float], list[float]]:
    """Network n's training and validation losses of the epochs up to `up_to` (its stop: nothing after it is
    recorded)."""
    return [float(epoch[n]) for epoch in losses[:up_to]], [float(epoch[n]) for epoch in val_losses[:up_to]]
