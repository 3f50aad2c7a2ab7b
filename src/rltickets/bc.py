"""Behavioural cloning ("policy distillation"): expert rollouts -> dataset -> student with the RL actor's
architecture and the same θ0, trained with cross-entropy on the expert's actions (discrete) or with MSE between
the Gaussian policy's mean and the expert's action (continuous)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.env_util import make_vec_env

from .masking import attach_masks
from .tasks import get_task
from .training import evaluate, make_eval_env, make_ppo, summarise_history

# Dataset rollouts use env seeds apart from training and evaluation seeds.
DATASET_SEED_OFFSET = 2_000_003


def collect_expert_dataset(expert, task_id: str, seed: int, n_transitions: int) -> dict[str, np.ndarray]:
    """Roll out the expert's deterministic policy and record (observation, expert action) pairs.

    Continuous actions are the deterministic action as the env receives it (the Gaussian mean, clipped to
    the action bounds), so the student learns what the expert does."""
    env = make_vec_env(task_id, n_envs=8, seed=seed + DATASET_SEED_OFFSET)
    observations, actions, episode_returns = [], [], []
    obs = env.reset()
    collected = 0
    while collected < n_transitions:
        action, _ = expert.predict(obs, deterministic=True)
        observations.append(obs.copy())
        actions.append(action.copy())
        collected += len(obs)
        obs, _, _, infos = env.step(action)
        episode_returns += [info["episode"]["r"] for info in infos if "episode" in info]
    return {
        "observations": np.concatenate(observations)[:n_transitions].astype(np.float32),
        "actions": np.concatenate(actions)[:n_transitions].astype(action_dtype(task_id)),
        "episode_returns": np.asarray(episode_returns, dtype=np.float64),
    }


def action_dtype(task_id: str):
    return np.float32 if get_task(task_id).continuous else np.int64


def imitation_loss(task_id: str):
    """Cross-entropy on logits for discrete actions; MSE on the mean action for continuous ones."""
    if get_task(task_id).continuous:
        return torch.nn.functional.mse_loss
    return torch.nn.functional.cross_entropy


def check_dataset(data: dict[str, np.ndarray]) -> str | None:
    """Return what is wrong with a BC dataset, or None."""
    n_obs, n_act = len(data["observations"]), len(data["actions"])
    if n_obs != n_act:
        return f"{n_obs} observations but {n_act} actions"
    if n_obs == 0:
        return "no transitions"
    return None


def actor_parameters(policy) -> list[torch.nn.Parameter]:
    """The actor half of an SB3 ActorCriticPolicy (shared feature extractors have no parameters here)."""
    return [*policy.mlp_extractor.policy_net.parameters(), *policy.action_net.parameters()]


def action_logits(policy, observations: torch.Tensor) -> torch.Tensor:
    """The action head's output: logits (discrete) or the Gaussian mean (continuous)."""
    features = policy.extract_features(observations, policy.pi_features_extractor)
    return policy.action_net(policy.mlp_extractor.forward_actor(features))


def train_bc(
    task_id: str,
    settings: dict[str, Any],
    seed: int,
    dataset: dict[str, np.ndarray],
    epochs: int,
    batch_size: int,
    learning_rate: float,
    eval_every_epochs: int,
    eval_episodes: int,
    theta0: dict[str, torch.Tensor] | None = None,
    masks: dict[str, torch.Tensor] | None = None,
):
    """Train the student actor on the dataset (see `imitation_loss`); evaluate it in the env every few epochs."""
    start = time.perf_counter()
    policy = make_ppo(task_id, settings, seed).policy  # same architecture (and, with the same seed, init)
    optimizer = torch.optim.Adam(actor_parameters(policy), lr=learning_rate)
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
        if epoch % eval_every_epochs == 0 or epoch == epochs:
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
