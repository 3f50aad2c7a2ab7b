"""Batched PPO: N networks of one task trained in one process, each exactly as stable-baselines3's PPO trains one.

Read top to bottom (after CleanRL's ppo.py): hyper-parameters, GAE, one update epoch, then `train_ppo_batched` and
its loop `run_ppo` (rollout, GAE, update, evaluation; engine.evaluation documents its one difference from SB3).
What each network sees is what `rltickets.core.ppo.train_ppo` gives one SB3 PPO (version 2.x):

* the task's rl-baselines3-zoo hyper-parameters with the config's overrides (`core.ppo.ppo_hyperparameters`), SB3's
  defaults for the rest; "lin_x" schedules decay linearly with SB3's progress_remaining = 1 - steps / budget,
  evaluated once per iteration after the rollout (SB3's `_update_learning_rate` and clip range in `train()`);
* ceil(budget / (n_envs · n_steps)) iterations; env i of a network with stream seed s seeded with s + i; same-step
  autoreset; on a time-limit truncation γ·V(terminal observation) is added to the reward (SB3's on_policy_algorithm);
* GAE exactly as SB3's RolloutBuffer.compute_returns_and_advantage; n_epochs passes over the rollout in minibatches
  of batch_size, in a random order per network; advantages normalised per network and minibatch (unbiased std,
  + 1e-8); clipped surrogate, unclipped value loss (clip_range_vf None), entropy bonus;
* Adam (eps 1e-5, SB3's default for its policies) and gradient-norm clipping to max_grad_norm per network.

The batch loss is the SUM of the per-network losses, so each network's gradient is exactly its own loss's gradient;
Adam is elementwise and the clipping per network, so no number of one network depends on another. Every random
draw of network n (action sampling, minibatch order) comes from its own torch.Generator seeded with its stream seed,
and its envs from stream seed + i, so a network trained alone or inside any batch follows the same trajectory.
Masks act in the forward pass (engine.policy): pruned weights get zero gradients and stay exactly 0 with zero Adam
moments. Continuous actions are clipped to the action box for the env step only (the rollout stores the sample).
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
from stable_baselines3 import PPO

from ..core.observations import stacked_affine
from ..core.ppo import ppo_hyperparameters, summarise_history
from ..core.tasks import env_id, get_task
from ..infra.settings import PpoBudget, TaskSettings
from .evaluation import env_actions, evaluate_networks
from .policy import NetworkSpec, StackedPolicy, Tensors
from .vec_envs import make_batched_env

Schedule = Callable[[float], float]
ADAM_EPS = 1e-5  # SB3's ActorCriticPolicy default optimizer_kwargs for Adam
# PPO arguments that change the algorithm in ways this engine does not implement: they must keep SB3's default.
UNSUPPORTED = {"clip_range_vf": None, "target_kl": None, "use_sde": False, "normalize_advantage": True}


def as_schedule(value: float | Schedule) -> Schedule:
    """SB3 turns a constant into a constant schedule of progress_remaining (FloatSchedule)."""
    return value if callable(value) else (lambda _progress, value=float(value): value)


@dataclass(frozen=True)
class PpoHyperparameters:
    n_steps: int
    batch_size: int
    n_epochs: int
    gamma: float
    gae_lambda: float
    ent_coef: float
    vf_coef: float
    max_grad_norm: float
    learning_rate: Schedule
    clip_range: Schedule

    @classmethod
    def of(cls, task_id: str, settings: TaskSettings) -> PpoHyperparameters:
        """The values `core.ppo.make_ppo` hands to SB3's PPO; the ones it leaves out take PPO's own defaults."""
        defaults = {
            name: p.default
            for name, p in inspect.signature(PPO.__init__).parameters.items()
            if p.default is not inspect.Parameter.empty
        }
        given = ppo_hyperparameters(task_id, settings)
        unknown = sorted(set(given) - {f.name for f in dataclasses.fields(cls)} - set(UNSUPPORTED))
        if unknown:
            raise ValueError(f"{task_id}: PPO arguments the batched PPO does not implement: {unknown}")
        values: dict[str, Any] = {**defaults, **given}
        for name, required in UNSUPPORTED.items():
            if values[name] != required:
                raise ValueError(f"{task_id}: the batched PPO needs {name}={required!r}, got {values[name]!r}")
        return cls(
            n_steps=int(values["n_steps"]),
            batch_size=int(values["batch_size"]),
            n_epochs=int(values["n_epochs"]),
            gamma=float(values["gamma"]),
            gae_lambda=float(values["gae_lambda"]),
            ent_coef=float(values["ent_coef"]),
            vf_coef=float(values["vf_coef"]),
            max_grad_norm=float(values["max_grad_norm"]),
            learning_rate=as_schedule(values["learning_rate"]),
            clip_range=as_schedule(values["clip_range"]),
        )


def make_optimizer(policy: StackedPolicy, hp: PpoHyperparameters) -> torch.optim.Adam:
    """Adam over the stacked parameters: elementwise, so per network. foreach: fewer kernel launches, same math."""
    return torch.optim.Adam(policy.parameters(), lr=hp.learning_rate(1.0), eps=ADAM_EPS, foreach=True)


def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    episode_starts: torch.Tensor,
    last_values: torch.Tensor,
    last_dones: torch.Tensor,
    gamma: float,
    gae_lambda: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """SB3's RolloutBuffer.compute_returns_and_advantage on [n_steps, ...] tensors: (advantages, returns)."""
    advantages = torch.zeros_like(rewards)
    last_gae_lam = torch.zeros_like(last_values)
    for step in reversed(range(rewards.shape[0])):
        if step == rewards.shape[0] - 1:
            next_non_terminal, next_values = 1.0 - last_dones.float(), last_values
        else:
            next_non_terminal, next_values = 1.0 - episode_starts[step + 1], values[step + 1]
        delta = rewards[step] + gamma * next_values * next_non_terminal - values[step]
        last_gae_lam = delta + gamma * gae_lambda * next_non_terminal * last_gae_lam
        advantages[step] = last_gae_lam
    return advantages, advantages + values


def per_network(x: torch.Tensor) -> torch.Tensor:
    """[n_steps, N, E, ...] -> [N, E * n_steps, ...], env-major as SB3's swap_and_flatten."""
    x = x.transpose(0, 1).transpose(1, 2)  # [N, E, n_steps, ...]
    return x.reshape(x.shape[0], x.shape[1] * x.shape[2], *x.shape[3:])


def take(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """x [N, M, ...] rows index [N, b] per network -> [N, b, ...]."""
    index = index.view(*index.shape, *([1] * (x.dim() - 2))).expand(*index.shape, *x.shape[2:])
    return torch.gather(x, 1, index)


class Rollout(NamedTuple):
    """One iteration's data per network, [N, n_envs * n_steps, ...] (env-major as SB3's swap_and_flatten)."""

    observations: torch.Tensor
    actions: torch.Tensor
    log_probs: torch.Tensor
    advantages: torch.Tensor
    returns: torch.Tensor


def update_epoch(
    policy: StackedPolicy,
    optimizer: torch.optim.Optimizer,
    rollout: Rollout,
    order: torch.Tensor,
    hp: PpoHyperparameters,
    clip_range: float,
) -> None:
    """One pass over the rollout in minibatches of hp.batch_size, network n's in the order `order[n]`: SB3's
    PPO.train() loop body, with every network's loss summed (so each gets exactly its own gradient)."""
    for begin in range(0, order.shape[1], hp.batch_size):
        index = order[:, begin : begin + hp.batch_size]
        actor_out, values = policy(take(rollout.observations, index))
        log_prob, entropy = policy.log_prob_entropy(actor_out, take(rollout.actions, index))
        advantages = take(rollout.advantages, index)
        if advantages.shape[1] > 1:  # SB3: no normalisation of a single-sample minibatch
            advantages = (advantages - advantages.mean(1, keepdim=True)) / (advantages.std(1, keepdim=True) + 1e-8)
        ratio = torch.exp(log_prob - take(rollout.log_probs, index))
        policy_loss = -torch.min(advantages * ratio, advantages * torch.clamp(ratio, 1 - clip_range, 1 + clip_range))
        value_loss = (take(rollout.returns, index) - values).pow(2).mean(1)
        entropy_loss = -entropy.mean(1)
        loss = policy_loss.mean(1) + hp.ent_coef * entropy_loss + hp.vf_coef * value_loss  # [N]
        optimizer.zero_grad()
        loss.sum().backward()
        policy.clip_grad_norm_(hp.max_grad_norm)
        optimizer.step()


def train_ppo_batched(
    task_id: str, settings: TaskSettings, budget: PpoBudget, networks: Sequence[NetworkSpec]
) -> list[tuple[Tensors, dict[str, Any]]]:
    """Train every network of `networks` for `budget`; per network (trained SB3 state_dict, metrics) with the
    metrics of `core.ppo.train_ppo` (best_return, final_return, history, train_steps, wall_time_s = this batch's
    wall time shared equally) plus batch_networks and batch_wall_time_s."""
    start = time.perf_counter()
    torch.set_num_threads(1)
    hp = PpoHyperparameters.of(task_id, settings)
    policy = StackedPolicy.from_specs(networks, settings.network.activation)
    optimizer = make_optimizer(policy, hp)
    seeds = [spec.stream_seed for spec in networks]
    affine = stacked_affine([spec.observation_standardization for spec in networks])
    history, num_timesteps = run_ppo(task_id, hp, budget, policy, optimizer, seeds, affine)
    wall = time.perf_counter() - start
    return [
        (
            policy.state_dict_of(n),
            {
                **summarise_history(history[n]),
                "history": history[n],
                "train_steps": int(num_timesteps),
                "wall_time_s": wall / len(networks),
                "batch_networks": len(networks),
                "batch_wall_time_s": wall,
            },
        )
        for n in range(len(networks))
    ]


def run_ppo(
    task_id: str,
    hp: PpoHyperparameters,
    budget: PpoBudget,
    policy: StackedPolicy,
    optimizer: torch.optim.Optimizer,
    seeds: Sequence[int],
    observation_affine: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> tuple[list[list[dict[str, float]]], int]:
    """The PPO loop on `policy` (trained in place): per network its evaluation history, and the steps per network.
    `observation_affine`: (shift, scale) [N, obs_dim] of the observations every env (training and evaluation) hands
    network n, (obs − shift[n]) / scale[n] (`vec_envs.AffineObservations`); None: raw observations."""
    n_networks, n_envs, n_steps = len(seeds), get_task(task_id).n_envs, hp.n_steps
    env = make_batched_env(env_id(task_id), seeds, n_envs, observation_affine)
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]

    # Rollout storage, [n_steps, N, E, ...]
    shape = (n_steps, n_networks, n_envs)
    action_shape = () if env.is_discrete else (env.action_dim,)
    obs_buf = torch.zeros(*shape, env.observation_dim)
    actions_buf = torch.zeros(*shape, *action_shape, dtype=torch.long if env.is_discrete else torch.float32)
    rewards_buf, starts_buf, values_buf, log_probs_buf = (torch.zeros(shape) for _ in range(4))

    history: list[list[dict[str, float]]] = [[] for _ in range(n_networks)]

    def evaluate_now(step: int) -> None:
        means, stds = evaluate_networks(
            policy, task_id, seeds, budget.eval_episodes, len(history[0]), observation_affine
        )
        for n in range(n_networks):
            history[n].append({"step": int(step), "mean_return": float(means[n]), "std_return": float(stds[n])})

    num_timesteps, next_eval = 0, budget.eval_every_steps
    obs = env.reset()
    episode_starts = torch.ones(n_networks, n_envs)
    iterations = math.ceil(budget.total_timesteps / (n_envs * n_steps))
    for _iteration in range(iterations):
        # ---- 1. Rollout: n_steps steps of every env with the current policies ----
        for step in range(n_steps):
            with torch.no_grad():
                actor_out, values = policy(obs)
                actions = policy.sample(actor_out, generators)
                log_probs, _ = policy.log_prob_entropy(actor_out, actions)
            result = env.step(env_actions(env, actions))
            num_timesteps += n_envs
            if num_timesteps >= next_eval:  # SB3's callback: at most one evaluation per step
                next_eval += budget.eval_every_steps
                evaluate_now(num_timesteps)
            rewards = result.rewards.clone()
            timeouts = result.truncated & ~result.terminated
            if bool(timeouts.any()):  # bootstrap the time-limited episodes from their terminal observation
                with torch.no_grad():
                    terminal_values = policy.values(result.final_observations)
                rewards = torch.where(timeouts, rewards + hp.gamma * terminal_values, rewards)
            obs_buf[step], actions_buf[step], rewards_buf[step] = obs, actions, rewards
            starts_buf[step], values_buf[step], log_probs_buf[step] = episode_starts, values, log_probs
            obs = result.observations
            dones = result.terminated | result.truncated
            episode_starts = dones.float()
        with torch.no_grad():
            last_values = policy.values(obs)
        advantages, returns = compute_gae(
            rewards_buf, values_buf, starts_buf, last_values, dones, hp.gamma, hp.gae_lambda
        )

        # ---- 2. Update at SB3's progress_remaining, evaluated once per iteration after the rollout ----
        progress_remaining = 1.0 - num_timesteps / budget.total_timesteps
        for group in optimizer.param_groups:
            group["lr"] = hp.learning_rate(progress_remaining)
        rollout = Rollout(
            per_network(obs_buf),
            per_network(actions_buf),
            per_network(log_probs_buf),
            per_network(advantages),
            per_network(returns),
        )
        for _epoch in range(hp.n_epochs):
            order = torch.stack([torch.randperm(n_envs * n_steps, generator=g) for g in generators])
            update_epoch(policy, optimizer, rollout, order, hp, hp.clip_range(progress_remaining))

    if not history[0] or history[0][-1]["step"] < num_timesteps:
        evaluate_now(num_timesteps)  # the final performance is always measured at the end
    env.close()
    return history, num_timesteps
