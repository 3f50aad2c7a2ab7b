"""Behavioural cloning ("policy distillation"): a student with the RL actor's architecture and the same θ0, trained
with cross-entropy on the expert's actions (discrete) or with MSE between the Gaussian policy's mean and the
expert's action (continuous). Shared by the IMP chain, its baselines and the init-rescaled chains."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from ..infra.settings import BcBudget, TaskSettings
from .masking import attach_masks
from .observations import ObservationStandardization
from .ppo import evaluate, make_eval_env, make_ppo, summarise_history
from .stopping import PlateauStopper
from .tasks import get_task


def imitation_loss(task_id: str):
    """Cross-entropy on logits for discrete actions; MSE on the mean action for continuous ones."""
    if get_task(task_id).continuous:
        return torch.nn.functional.mse_loss
    return torch.nn.functional.cross_entropy


def actor_parameters(policy) -> list[torch.nn.Parameter]:
    """The actor half of an SB3 ActorCriticPolicy (shared feature extractors have no parameters here)."""
    return [*policy.mlp_extractor.policy_net.parameters(), *policy.action_net.parameters()]


def action_logits(policy, observations: torch.Tensor) -> torch.Tensor:
    """The action head's output: logits (discrete) or the Gaussian mean (continuous)."""
    features = policy.extract_features(observations, policy.pi_features_extractor)
    return policy.action_net(policy.mlp_extractor.forward_actor(features))


# The held-out split uses a generator apart from the data order's (which stays `manual_seed(seed)`).
VALIDATION_SPLIT_SEED_OFFSET = 3_000_017


def validation_split(n: int, fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(train indices, validation indices) of an n-pair dataset, both sorted and disjoint: round(fraction × n)
    pairs (at least 1 if fraction > 0, at most n − 1) drawn by a generator that depends only on `seed`, so every
    level and baseline of a seed holds out the same pairs."""
    if not 0 <= fraction < 1:
        raise ValueError(f"validation fraction {fraction}: expected a number in [0, 1)")
    n_val = 0 if fraction == 0 else min(max(round(fraction * n), 1), n - 1)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + VALIDATION_SPLIT_SEED_OFFSET))
    return order[n_val:].sort().values, order[:n_val].sort().values


def action_agreement(outputs: torch.Tensor, expert_actions: torch.Tensor, action_low=None, action_high=None) -> float:
    """How well the student's deterministic actions match the expert's. Discrete (integer labels): the fraction
    of argmax(logits) == expert action (1.0 = always). Continuous: the mean |student action − expert action| over
    pairs and action dimensions, the student's Gaussian mean clipped to [action_low, action_high] as the env
    receives it (0.0 = always)."""
    if len(expert_actions) == 0:
        return float("nan")
    if not torch.is_floating_point(expert_actions):
        return float((outputs.argmax(dim=-1) == expert_actions).double().mean())
    student = outputs
    if action_low is not None:
        low, high = (torch.as_tensor(b, dtype=outputs.dtype) for b in (action_low, action_high))
        student = torch.clamp(outputs, low, high)
    return float((student - expert_actions).abs().double().mean())


def policy_agreement(policy, observations: torch.Tensor, actions: torch.Tensor) -> float:
    space = policy.action_space
    bounds = (space.low, space.high) if hasattr(space, "low") else (None, None)
    with torch.no_grad():
        return action_agreement(action_logits(policy, observations), actions, *bounds)


def train_bc(
    task_id: str,
    settings: TaskSettings,
    seed: int,
    dataset: dict[str, np.ndarray],
    budget: BcBudget,
    theta0: dict[str, torch.Tensor] | None = None,
    masks: dict[str, torch.Tensor] | None = None,
    observation_standardization: ObservationStandardization | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Train the student actor on the training split of the dataset (see `imitation_loss`), with the loss on the
    held-out split (`validation_split`) after every epoch and the `PlateauStopper` rule (`budget.stopping`) on it.

    Returns (SB3 policy, metrics). The policy is the best-validation network under `plateau` (restored at the
    stop) and the last one under `fixed`. The env evaluation runs every `eval_every_epochs` epochs before the stop
    and once more at the stop on the returned network (the last `history` entry: `step` = the stop epoch,
    `weights_epoch` = the epoch whose weights it evaluates), so `final_return` is the returned network's.

    With `observation_standardization` the student learns from the dataset's standardised observations (the
    expert's actions unchanged) and is evaluated on an env that standardises its observations the same way."""
    batch_size, eval_episodes = budget.batch_size, budget.eval_episodes
    start = time.perf_counter()
    wrapper = None if observation_standardization is None else observation_standardization.sb3_wrapper()
    if observation_standardization is not None:
        dataset = observation_standardization.standardize_dataset(dataset)
    policy = make_ppo(task_id, settings, seed, wrapper).policy  # same architecture (and, with the same seed, init)
    optimizer = torch.optim.Adam(actor_parameters(policy), lr=budget.learning_rate)
    if masks is not None:
        attach_masks(policy, masks, optimizers=[optimizer])
    if theta0 is not None:
        policy.load_state_dict(theta0)
    policy.set_training_mode(True)
    observations = torch.as_tensor(dataset["observations"])
    actions = torch.as_tensor(dataset["actions"])
    train_idx, val_idx = validation_split(len(actions), budget.validation_fraction, seed)
    if budget.stopping == "plateau" and len(val_idx) == 0:
        raise ValueError("bc.stopping plateau needs a validation split: set bc.validation_fraction > 0")
    train_obs, train_actions = observations[train_idx], actions[train_idx]
    val_obs, val_actions = observations[val_idx], actions[val_idx]
    generator = torch.Generator().manual_seed(seed)
    stopper = PlateauStopper(1, budget.epochs, budget.patience, budget.stopping)
    restore_best = budget.stopping == "plateau"
    best_state = None
    history, losses, val_losses = [], [], []
    loss_fn = imitation_loss(task_id)

    def evaluate_now(step: int, weights_epoch: int) -> None:
        # Evaluation k runs on fresh envs seeded from (seed, k) only, as the batched engine evaluates
        # (engine.evaluation): a persistent eval env would make evaluation k start where k - 1 stopped.
        eval_env = make_eval_env(task_id, seed, eval_episodes, wrapper, index=len(history))
        policy.set_training_mode(False)
        mean, std = evaluate(policy, eval_env, eval_episodes)
        policy.set_training_mode(True)
        eval_env.close()
        history.append(evaluation_record(step, weights_epoch, mean, std, losses, val_losses))

    while not stopper.done:
        epoch_loss, n_batches = 0.0, 0
        for batch in torch.randperm(len(train_actions), generator=generator).split(batch_size):
            loss = loss_fn(action_logits(policy, train_obs[batch]), train_actions[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_loss, n_batches = epoch_loss + loss.item(), n_batches + 1
        losses.append(epoch_loss / n_batches)
        val_loss = float("nan")
        if len(val_idx):
            with torch.no_grad():
                val_loss = loss_fn(action_logits(policy, val_obs), val_actions).item()
        val_losses.append(val_loss)
        improved = stopper.update([val_loss])[0]
        if restore_best and improved:
            best_state = {k: v.detach().clone() for k, v in policy.state_dict().items()}
        epoch = stopper.epoch
        if stopper.running[0] and epoch % budget.eval_every_epochs == 0:
            evaluate_now(epoch, epoch)
    stopped_epoch = int(stopper.stopped_epoch[0])
    weights_epoch = stopped_epoch
    if best_state is not None:
        policy.load_state_dict(best_state)
        weights_epoch = int(stopper.best_epoch[0])
    evaluate_now(stopped_epoch, weights_epoch)
    metrics = {
        **summarise_history(history),
        "history": history,
        "loss_per_epoch": losses,
        "val_loss_per_epoch": [finite_or_none(v) for v in val_losses],
        "train_epochs": stopped_epoch,
        "stopping": budget.stopping,
        "stopped_epoch": stopped_epoch,
        "best_epoch": int(stopper.best_epoch[0]) or None,
        "weights_epoch": weights_epoch,
        "best_val_loss": finite_or_none(stopper.best_loss[0]),
        "train_agreement": policy_agreement(policy, train_obs, train_actions),
        "val_agreement": finite_or_none(policy_agreement(policy, val_obs, val_actions)),
        "wall_time_s": time.perf_counter() - start,
    }
    return policy, metrics


def finite_or_none(value: float) -> float | None:
    """JSON has no NaN or infinity: a loss that does not exist (no validation split) is null."""
    return float(value) if np.isfinite(value) else None


def evaluation_record(step, weights_epoch, mean_return, std_return, losses, val_losses) -> dict[str, Any]:
    """One `history` entry: the evaluation at epoch `step` of the weights of epoch `weights_epoch`, with that
    epoch's losses."""
    return {
        "step": int(step),
        "weights_epoch": int(weights_epoch),
        "mean_return": float(mean_return),
        "std_return": float(std_return),
        "loss": losses[weights_epoch - 1],
        "val_loss": finite_or_none(val_losses[weights_epoch - 1]),
    }
