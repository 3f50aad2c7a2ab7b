"""Behavioural cloning ("policy distillation"): expert rollouts -> dataset -> student with the RL actor's
architecture and the same θ0, trained with cross-entropy on the expert's actions."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.env_util import make_vec_env

from .masking import attach_masks
from .training import evaluate, make_eval_env, make_ppo, summarise_history

# Dataset rollouts use env seeds apart from training and evaluation seeds.
DATASET_SEED_OFFSET = 2_000_003


def collect_expert_dataset(expert, task_id: str, seed: int, n_transitions: int) -> dict[str, np.ndarray]:
    """Roll out the expert's deterministic policy and record (observation, expert action) pairs."""
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
        "actions": np.concatenate(actions)[:n_transitions].astype(np.int64),
        "episode_returns": np.asarray(episode_returns, dtype=np.float64),
    }


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
    """Train the student actor by cross-entropy on the dataset; evaluate it in the env every few epochs."""
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
    for epoch in range(1, epochs + 1):
        epoch_loss, n_batches = 0.0, 0
        for batch in torch.randperm(len(actions), generator=generator).split(batch_size):
            loss = torch.nn.functional.cross_entropy(action_logits(policy, observations[batch]), actions[batch])
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
