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
from .ppo import evaluate, make_eval_env, make_ppo, summarise_history
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


def train_bc(
    task_id: str,
    settings: TaskSettings,
    seed: int,
    dataset: dict[str, np.ndarray],
    budget: BcBudget,
    theta0: dict[str, torch.Tensor] | None = None,
    masks: dict[str, torch.Tensor] | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Train the student actor on the dataset (see `imitation_loss`) for `budget`; evaluate it in the env every
    `eval_every_epochs` epochs and after the last. Returns (SB3 policy, metrics)."""
    epochs, batch_size, eval_episodes = budget.epochs, budget.batch_size, budget.eval_episodes
    start = time.perf_counter()
    policy = make_ppo(task_id, settings, seed).policy  # same architecture (and, with the same seed, init)
    optimizer = torch.optim.Adam(actor_parameters(policy), lr=budget.learning_rate)
    if masks is not None:
        attach_masks(policy, masks, optimizers=[optimizer])
    if theta0 is not None:
        policy.load_state_dict(theta0)
    policy.set_training_mode(True)
    observations = torch.as_tensor(dataset["observations"])
    actions = torch.as_tensor(dataset["actions"])
    generator = torch.Generator().manual_seed(seed)
    eval_env = make_eval_env(task_id, seed, eval_episodes)
    history, losses = [], []
    loss_fn = imitation_loss(task_id)
    for epoch in range(1, epochs + 1):
        epoch_loss, n_batches = 0.0, 0
        for batch in torch.randperm(len(actions), generator=generator).split(batch_size):
            loss = loss_fn(action_logits(policy, observations[batch]), actions[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_loss, n_batches = epoch_loss + loss.item(), n_batches + 1
        losses.append(epoch_loss / n_batches)
        if epoch % budget.eval_every_epochs == 0 or epoch == epochs:
            policy.set_training_mode(False)
            mean, std = evaluate(policy, eval_env, eval_episodes)
            policy.set_training_mode(True)
            history.append({"step": epoch, "mean_return": mean, "std_return": std, "loss": losses[-1]})
    metrics = {
        **summarise_history(history),
        "history": history,
        "loss_per_epoch": losses,
        "train_epochs": epochs,
        "wall_time_s": time.perf_counter() - start,
    }
    return policy, metrics
