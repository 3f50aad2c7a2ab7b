"""The thesis' DQN (appendices A and B) on stable-baselines3, read top to bottom.

SB3's DQN decays ε linearly over a fraction of a step budget and updates the target network every N steps.
The thesis instead multiplies ε by a factor after every *episode* (CartPole, ×0.95) or every *step*
(Acrobot, ×0.999) down to ε_min, copies the online network into the target network after every episode, and
trains episode by episode: at most `max_episodes`, optionally stopping early after `window` consecutive episodes
at the acceptable return. `ThesisDQN` owns the ε schedule and the target updates; `EpisodeProtocol` (an SB3
callback) owns what the experiments do per episode: returns, early stopping, the episode cap and the hooks
that draw mask snapshots.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from stable_baselines3 import DQN
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.utils import polyak_update, set_random_seed
from stable_baselines3.common.vec_env import DummyVecEnv

from ..core.masking import mask_sb3_model, prunable_weight_names
from ..core.ppo import without_log_folder
from ..infra.settings import DqnProtocol, DqnTask, DqnVariant

# The thesis' tasks (gymnasium ids; CartPole-v0 is the 200-step version the thesis names).
EARLYBIRD_TASKS = ("CartPole-v0", "Acrobot-v1")
# Test episodes use env seeds far from the training seeds.
TEST_SEED_OFFSET = 1_000_003


@dataclass(frozen=True)
class DqnAgent:
    """Which agent a run trains: the task, its appendix-A/B settings, the DQN variant [R] and the seed."""

    task: str
    settings: DqnTask
    variant: DqnVariant
    seed: int


def make_env(task_id: str, seed: int) -> DummyVecEnv:
    env = DummyVecEnv([lambda: gym.make(task_id)])
    env.seed(seed)
    return env


class ThesisDQN(DQN):
    """SB3 DQN with the thesis' exploration schedule and per-episode target updates.

    ε is held in `exploration_rate`; after each environment step it is multiplied by `epsilon_decay` when
    `epsilon_per == "step"`, and after each finished episode when `epsilon_per == "episode"`, never below
    `epsilon_min`. After each finished episode the target network becomes a copy of the online network.
    The TD loss is the squared error of the thesis' eq. 2.4 (`loss="mse"`) or SB3's Huber loss; gradients are
    clipped only if `max_grad_norm` is not None. With `uniform_warmup=False` the first `learning_starts`
    transitions are collected ε-greedily (learning_starts only delays the gradient updates); SB3's default
    samples them uniformly.
    """

    def __init__(
        self,
        *args,
        epsilon_start: float,
        epsilon_min: float,
        epsilon_decay: float,
        epsilon_per: str,
        loss: str = "mse",
        uniform_warmup: bool = False,
        **kwargs,
    ):
        if epsilon_per not in ("episode", "step"):
            raise ValueError(f"epsilon_per must be 'episode' or 'step', got {epsilon_per!r}")
        if loss not in ("mse", "huber"):
            raise ValueError(f"loss must be 'mse' or 'huber', got {loss!r}")
        # SB3's own target updates and linear ε schedule are switched off: _on_step below replaces both.
        kwargs.setdefault("target_update_interval", 2**62)
        super().__init__(*args, **kwargs)
        self.epsilon_min, self.epsilon_decay, self.epsilon_per = epsilon_min, epsilon_decay, epsilon_per
        self.exploration_rate = epsilon_start
        self.loss_name, self.uniform_warmup = loss, uniform_warmup
        self.episodes_done = 0
        self.target_updates = 0
        self._episode_ended = False

    def sync_target(self) -> None:
        """θ⁻ ← θ (a hard copy; pruned weights stay zero because the online network is masked)."""
        polyak_update(self.q_net.parameters(), self.q_net_target.parameters(), 1.0)
        polyak_update(self.batch_norm_stats, self.batch_norm_stats_target, 1.0)
        self.target_updates += 1

    def epsilon_after_current_step(self) -> float:
        """ε as it will be once the step being processed is booked.

        Callbacks (and so the episode hooks) run before `_on_step`, whose decay is then still pending: for a
        per-step schedule always, for a per-episode schedule at an episode's last step, which is when hooks run.
        """
        return max(self.epsilon_min, self.exploration_rate * self.epsilon_decay)

    def _decay_epsilon(self) -> None:
        self.exploration_rate = max(self.epsilon_min, self.exploration_rate * self.epsilon_decay)

    def _update_info_buffer(self, infos, dones=None) -> None:
        super()._update_info_buffer(infos, dones)
        # collect_rollouts calls this right before _on_step: remember whether this step ended the episode.
        self._episode_ended = dones is not None and bool(dones[0])

    def _on_step(self) -> None:
        self._n_calls += 1
        if self.epsilon_per == "step":
            self._decay_epsilon()
        if self._episode_ended:
            self.episodes_done += 1
            if self.epsilon_per == "episode":
                self._decay_epsilon()
            self.sync_target()

    def _sample_action(self, learning_starts, action_noise=None, n_envs=1):
        return super()._sample_action(learning_starts if self.uniform_warmup else 0, action_noise, n_envs)

    def train(self, gradient_steps: int, batch_size: int = 100) -> None:
        """SB3's DQN update with the loss and clipping chosen above (eq. 2.4 of the thesis by default)."""
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        loss_fn = F.mse_loss if self.loss_name == "mse" else F.smooth_l1_loss
        for _ in range(gradient_steps):
            data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)
            with torch.no_grad():
                next_q = self.q_net_target(data.next_observations).max(dim=1).values.reshape(-1, 1)
                target_q = data.rewards + (1 - data.dones) * self.gamma * next_q
            current_q = torch.gather(self.q_net(data.observations), dim=1, index=data.actions.long())
            loss = loss_fn(current_q, target_q)
            self.policy.optimizer.zero_grad()
            loss.backward()
            if self.max_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
            self.policy.optimizer.step()
        self._n_updates += gradient_steps


def make_dqn(agent: DqnAgent) -> ThesisDQN:
    """The agent of appendices A and B: MLP with ReLU hidden layers, Adam, the task's hyper-parameters."""
    torch.set_num_threads(1)
    set_random_seed(agent.seed)
    task, eps = agent.settings, agent.settings.epsilon
    model = ThesisDQN(
        "MlpPolicy",
        make_env(agent.task, agent.seed),
        seed=agent.seed,
        device="cpu",
        verbose=0,
        policy_kwargs=dict(net_arch=list(task.hidden), activation_fn=torch.nn.ReLU),
        learning_rate=task.learning_rate,
        batch_size=task.batch_size,
        buffer_size=task.buffer_size,
        learning_starts=task.learning_starts,
        train_freq=(task.train_freq, "step"),
        gradient_steps=1,
        gamma=task.gamma,
        max_grad_norm=agent.variant.max_grad_norm,
        epsilon_start=eps.start,
        epsilon_min=eps.min,
        epsilon_decay=eps.decay,
        epsilon_per=eps.per,
        loss=agent.variant.loss,
        uniform_warmup=agent.variant.uniform_warmup,
    )
    return without_log_folder(model)


def q_network_weights(model: DQN) -> dict[str, torch.Tensor]:
    """The online Q-network's prunable weight matrices (state_dict names), detached copies."""
    state = model.policy.state_dict()
    return {name: state[name].detach().clone() for name in prunable_weight_names(state)}


def load_parameters(model: ThesisDQN, parameters: dict[str, torch.Tensor], masks: dict | None = None) -> None:
    """Put `parameters` (a policy state_dict, target net included or not) into the online and target networks.

    With `masks`, the masks are attached first so that the loaded weights are zeroed where pruned and stay so.
    """
    if masks is not None:
        mask_sb3_model(model, masks)
    online = {k: v for k, v in parameters.items() if not k.startswith("q_net_target.")}
    model.policy.load_state_dict(online, strict=False)
    model.sync_target()
    model.target_updates = 0


class EpisodeProtocol(BaseCallback):
    """Per-episode bookkeeping of one training run.

    Records each episode's return, the ε it was played with and its length; stops after `max_episodes`
    episodes or, with `early_stopping`, after `window` consecutive episodes with return >= `acceptable_return`.
    `on_episode_end(protocol, episode)` hooks run after each episode (1-based count) with the network as it
    is at that moment; a hook returning True stops training too (EB Exploit's search uses that).
    """

    def __init__(
        self,
        max_episodes: int,
        acceptable_return: float,
        window: int,
        early_stopping: bool,
        on_episode_end: list[Callable[[EpisodeProtocol, int], bool | None]] = (),
    ):
        super().__init__()
        self.max_episodes, self.acceptable_return, self.window = max_episodes, acceptable_return, window
        self.early_stopping = early_stopping
        self.hooks = list(on_episode_end)
        self.returns: list[float] = []
        self.lengths: list[int] = []
        self.epsilons: list[float] = []
        self.early_stopped_at: int | None = None  # the episode that completed the window, if any
        self._return, self._length = 0.0, 0
        self._epsilon_at_start: float | None = None

    def window_reached(self) -> bool:
        recent = self.returns[-self.window :]
        return len(recent) == self.window and all(r >= self.acceptable_return for r in recent)

    def _on_step(self) -> bool:
        if self._epsilon_at_start is None:
            self._epsilon_at_start = float(self.model.exploration_rate)
        self._return += float(self.locals["rewards"][0])
        self._length += 1
        if not self.locals["dones"][0]:
            return True
        self.returns.append(self._return)
        self.lengths.append(self._length)
        self.epsilons.append(self._epsilon_at_start)
        self._return, self._length, self._epsilon_at_start = 0.0, 0, None
        episode = len(self.returns)
        stop = False
        if self.window_reached() and self.early_stopped_at is None:
            self.early_stopped_at = episode
            stop = self.early_stopping
        for hook in self.hooks:
            stop = bool(hook(self, episode)) or stop
        return not (stop or episode >= self.max_episodes)

    @property
    def episodes(self) -> int:
        return len(self.returns)


def run_episodes(model: ThesisDQN, protocol: EpisodeProtocol) -> None:
    """Train until the protocol stops (the step budget is only a safety net: episodes end every run)."""
    model.learn(total_timesteps=2**62, callback=protocol, reset_num_timesteps=False)


def greedy_return(model: DQN, task_id: str, seed: int, n_episodes: int) -> dict[str, float]:
    """The greedy policy's mean and std return over `n_episodes` test episodes (the thesis tests on 100)."""
    env = gym.make(task_id)
    q_net = model.policy.q_net
    returns = []
    for i in range(n_episodes):
        obs, _ = env.reset(seed=seed + TEST_SEED_OFFSET + i)
        total, done = 0.0, False
        while not done:
            # argmax Q directly: what model.predict(deterministic=True) does, without its per-call overhead
            with torch.no_grad():
                action = int(q_net(torch.as_tensor(obs, dtype=torch.float32)[None]).argmax(dim=1))
            obs, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    env.close()
    return {
        "test_return": float(np.mean(returns)),
        "test_return_std": float(np.std(returns)),
        "test_episodes": n_episodes,
    }


def train_dqn(
    agent: DqnAgent,
    protocol: DqnProtocol,
    early_stopping: bool,
    parameters: dict[str, torch.Tensor] | None = None,
    masks: dict[str, torch.Tensor] | None = None,
    epsilon_start: float | None = None,
    hooks: list[Callable] = (),
) -> tuple[ThesisDQN, EpisodeProtocol, float]:
    """Build the agent, optionally load `parameters` under `masks` and a starting ε, train episode by episode
    (at most `protocol.max_episodes`; with `early_stopping`, until `protocol.early_stopping_window` consecutive
    episodes reach the acceptable return).

    Returns the model (with `initial_parameters`, the policy state it started from), its episode log and the
    wall time in seconds.
    """
    start = time.perf_counter()
    model = make_dqn(agent)
    if parameters is not None or masks is not None:
        load_parameters(model, parameters if parameters is not None else model.policy.state_dict(), masks)
    if epsilon_start is not None:
        model.exploration_rate = epsilon_start
    model.initial_parameters = {k: v.detach().clone() for k, v in model.policy.state_dict().items()}
    episodes = EpisodeProtocol(
        protocol.max_episodes, agent.settings.acceptable_return, protocol.early_stopping_window, early_stopping, hooks
    )
    run_episodes(model, episodes)
    return model, episodes, time.perf_counter() - start
