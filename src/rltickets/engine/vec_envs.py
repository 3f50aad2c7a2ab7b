"""Batched environments: N networks x E environments each, stepped as one batch.

``make_batched_env(env_id, stream_seeds, envs_per_network)`` returns a :class:`BatchedEnv`. Env i of network n is
seeded with ``stream_seeds[n] + i`` at its first reset and keeps its own random stream afterwards, exactly like
SB3's ``make_vec_env(env_id, n_envs=E, seed=stream_seeds[n])``: a network sees the same episodes alone or inside
any batch. Episodes that end are reset inside :meth:`BatchedEnv.step` (same-step autoreset as SB3's DummyVecEnv);
the terminal observation is handed back in ``StepResult.final_observations``.

Any registered gymnasium id gets :class:`GymnasiumBatchedEnv` (N x E gymnasium envs stepped in a loop).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces


class StepResult(NamedTuple):
    """One step of all N x E envs.

    ``observations`` holds, for envs that ended this step, the first observation of their new episode;
    ``final_observations`` holds their terminal observation (elsewhere it equals ``observations``).
    ``truncated`` is SB3's ``TimeLimit.truncated``: the time limit ended the episode and it did not terminate,
    so ``terminated & truncated`` is always False and ``terminated | truncated`` marks every episode end.
    """

    observations: torch.Tensor  # [N, E, obs_dim] float32
    rewards: torch.Tensor  # [N, E] float32
    terminated: torch.Tensor  # [N, E] bool
    truncated: torch.Tensor  # [N, E] bool
    final_observations: torch.Tensor  # [N, E, obs_dim] float32


class BatchedEnv:
    """Interface of every batched env. Observations are flattened (C order, as SB3's FlattenExtractor does)."""

    env_id: str
    num_networks: int
    envs_per_network: int
    observation_shape: tuple[int, ...]
    observation_dim: int
    action_dim: int | None = None  # continuous: size of the action vector
    n_actions: int | None = None  # discrete: number of actions
    action_low: torch.Tensor | None = None  # continuous: float64 [action_dim] (callers clip, as SB3 does)
    action_high: torch.Tensor | None = None

    def __init__(self, env_id: str, stream_seeds: Sequence[int], envs_per_network: int):
        if len(stream_seeds) == 0 or envs_per_network < 1:
            raise ValueError(f"need >= 1 network and >= 1 env each, got {len(stream_seeds)} x {envs_per_network}")
        self.env_id = env_id
        self.stream_seeds = [int(seed) for seed in stream_seeds]
        self.num_networks = len(self.stream_seeds)
        self.envs_per_network = int(envs_per_network)

    @property
    def is_discrete(self) -> bool:
        return self.n_actions is not None

    def env_seed(self, network: int, env: int) -> int:
        """The seed of env ``env`` of network ``network`` (``make_vec_env``'s ``seed + rank``)."""
        return self.stream_seeds[network] + env

    def reset(self) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def step(self, actions: torch.Tensor) -> StepResult:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        return None


def _register_project_envs() -> None:
    from ..core import envs  # noqa: F401 - registers PatrolGrid-v0


class GymnasiumBatchedEnv(BatchedEnv):
    """N x E ``gym.make(env_id)`` envs stepped one by one: the fallback for ids without a torch port."""

    def __init__(self, env_id: str, stream_seeds: Sequence[int], envs_per_network: int):
        super().__init__(env_id, stream_seeds, envs_per_network)
        _register_project_envs()
        self.envs = [[gym.make(env_id) for _ in range(self.envs_per_network)] for _ in range(self.num_networks)]
        probe = self.envs[0][0]
        self.observation_shape = tuple(probe.observation_space.shape)
        self.observation_dim = int(np.prod(self.observation_shape))
        action_space = probe.action_space
        if isinstance(action_space, spaces.Discrete):
            self.n_actions = int(action_space.n)
        elif isinstance(action_space, spaces.Box):
            self.action_dim = int(np.prod(action_space.shape))
            self.action_low = torch.as_tensor(action_space.low, dtype=torch.float64).reshape(-1)
            self.action_high = torch.as_tensor(action_space.high, dtype=torch.float64).reshape(-1)
            self._action_shape, self._action_dtype = action_space.shape, action_space.dtype
        else:
            raise TypeError(f"{env_id}: unsupported action space {action_space}")
        self._seeded = False

    def _reset_one(self, network: int, env: int) -> np.ndarray:
        # The first reset seeds the env; later resets continue its own stream (SB3's DummyVecEnv).
        seed = None if self._seeded else self.env_seed(network, env)
        obs, _ = self.envs[network][env].reset(seed=seed)
        return np.asarray(obs, dtype=np.float32).reshape(-1)

    def reset(self) -> torch.Tensor:
        obs = np.empty((self.num_networks, self.envs_per_network, self.observation_dim), dtype=np.float32)
        for n in range(self.num_networks):
            for i in range(self.envs_per_network):
                obs[n, i] = self._reset_one(n, i)
        self._seeded = True
        return torch.from_numpy(obs)

    def _env_action(self, actions: np.ndarray, network: int, env: int):
        if self.is_discrete:
            return int(actions[network, env])
        return actions[network, env].astype(self._action_dtype).reshape(self._action_shape)

    def step(self, actions: torch.Tensor) -> StepResult:
        if not self._seeded:
            raise RuntimeError("call reset() before step()")
        actions = torch.as_tensor(actions).detach().cpu().numpy()
        shape = (self.num_networks, self.envs_per_network)
        obs = np.empty((*shape, self.observation_dim), dtype=np.float32)
        final_obs = np.empty_like(obs)
        rewards = np.empty(shape, dtype=np.float32)
        terminated = np.zeros(shape, dtype=bool)
        truncated = np.zeros(shape, dtype=bool)
        for n in range(self.num_networks):
            for i in range(self.envs_per_network):
                ob, reward, term, trunc, _ = self.envs[n][i].step(self._env_action(actions, n, i))
                final_obs[n, i] = np.asarray(ob, dtype=np.float32).reshape(-1)
                rewards[n, i] = reward
                terminated[n, i] = term
                truncated[n, i] = trunc and not term
                obs[n, i] = self._reset_one(n, i) if term or trunc else final_obs[n, i]
        return StepResult(
            torch.from_numpy(obs),
            torch.from_numpy(rewards),
            torch.from_numpy(terminated),
            torch.from_numpy(truncated),
            torch.from_numpy(final_obs),
        )

    def close(self) -> None:
        for row in self.envs:
            for env in row:
                env.close()


# -- torch ports ------------------------------------------------------------------------------------------------
# gymnasium computes its dynamics on numpy float64 scalars. The ports repeat the same operations in the same order on
# float64 tensors, so one step from an identical state agrees bitwise. Basic arithmetic is IEEE-exact in both; the
# elementwise transcendental functions are taken from numpy (on the tensors' shared memory), because torch's
# vectorised sin/cos/pow differ from numpy's by one ulp on ~0.2 % of inputs and chaotic dynamics amplify that.


def _cos(x: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.cos(x.numpy()))


def _sin(x: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.sin(x.numpy()))


def _pow2(x: torch.Tensor) -> torch.Tensor:
    """``x**2`` of a numpy float64 scalar: C ``pow(x, 2.0)`` (not always equal to ``x * x``)."""
    return torch.from_numpy(np.float_power(x.numpy(), 2.0))


class TorchBatchedEnv(BatchedEnv):
    """N x E copies of one gymnasium env as stacked tensors; env k = n * E + i of the flat batch.

    Each env keeps its own numpy Generator, created exactly as gymnasium's ``reset(seed=stream_seeds[n] + i)``
    creates ``np_random`` and used for the same draws in the same order, so episodes equal those of SB3's
    ``make_vec_env(env_id, n_envs=E, seed=stream_seeds[n])``. Only resets (and PatrolGrid's noise) loop over envs;
    the step of all N x E envs is one set of tensor operations. ``state`` is the flat [N * E, state_dim] state
    after autoreset, ``final_state`` the state the last step reached (before autoreset).
    """

    gym_id: str

    def __init__(self, stream_seeds: Sequence[int], envs_per_network: int):
        super().__init__(self.gym_id, stream_seeds, envs_per_network)
        _register_project_envs()
        self.num_envs = self.num_networks * self.envs_per_network
        self.max_episode_steps = int(gym.spec(self.gym_id).max_episode_steps)
        self.rngs: list[np.random.Generator] = []
        self.steps = torch.zeros(self.num_envs, dtype=torch.long)  # TimeLimit's elapsed steps
        self.state: torch.Tensor | None = None
        self.final_state: torch.Tensor | None = None

    # hooks of the ports
    def _reset_state(self, rng: np.random.Generator) -> np.ndarray:
        """The state drawn by gymnasium's reset, as float64 (same draws from ``rng``)."""
        raise NotImplementedError

    def _dynamics(self, state: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(next state, terminated, reward as float64) of one step of every env."""
        raise NotImplementedError

    def _observation(self, state: torch.Tensor, envs: list[int]) -> torch.Tensor:
        """float32 [len(envs), obs_dim] observation of ``state`` (the rows of ``envs``)."""
        raise NotImplementedError

    def reset(self) -> torch.Tensor:
        if not self.rngs:  # the first reset seeds; later ones continue each env's stream (SB3's DummyVecEnv)
            seeds = [self.env_seed(n, i) for n in range(self.num_networks) for i in range(self.envs_per_network)]
            self.rngs = [gym.utils.seeding.np_random(seed)[0] for seed in seeds]
        self.state = torch.from_numpy(np.stack([self._reset_state(rng) for rng in self.rngs]))
        self.steps.zero_()
        envs = list(range(self.num_envs))
        return self._observation(self.state, envs).reshape(self.num_networks, self.envs_per_network, -1)

    def _flat_actions(self, actions: torch.Tensor) -> torch.Tensor:
        actions = torch.as_tensor(actions).reshape(self.num_envs)
        if actions.min() < 0 or actions.max() >= self.n_actions:
            raise ValueError(f"{self.env_id}: actions must lie in [0, {self.n_actions - 1}]")
        return actions.long()

    def step(self, actions: torch.Tensor) -> StepResult:
        if self.state is None:
            raise RuntimeError("call reset() before step()")
        next_state, terminated, rewards = self._dynamics(self.state, self._flat_actions(actions))
        self.steps += 1
        truncated = (self.steps >= self.max_episode_steps) & ~terminated
        envs = list(range(self.num_envs))
        final_obs = self._observation(next_state, envs)
        self.final_state = next_state
        ended = torch.nonzero(terminated | truncated).flatten().tolist()
        if ended:
            next_state = next_state.clone()
            next_state[ended] = torch.from_numpy(np.stack([self._reset_state(self.rngs[k]) for k in ended]))
            self.steps[ended] = 0
            obs = final_obs.clone()
            obs[ended] = self._observation(next_state[ended], ended)
        else:
            obs = final_obs
        self.state = next_state
        shape = (self.num_networks, self.envs_per_network)
        return StepResult(
            obs.reshape(*shape, -1),
            rewards.to(torch.float32).reshape(shape),
            terminated.reshape(shape),
            truncated.reshape(shape),
            final_obs.reshape(*shape, -1),
        )


class CartPoleBatched(TorchBatchedEnv):
    """gymnasium's CartPole-v1 (euler integrator, reward 1 per step, 500-step limit)."""

    gym_id = "CartPole-v1"
    observation_shape, observation_dim, n_actions = (4,), 4, 2
    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    total_mass = masspole + masscart
    polemass_length = masspole * length
    theta_threshold_radians = 12 * 2 * math.pi / 360
    x_threshold = 2.4

    def _reset_state(self, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(low=-0.05, high=0.05, size=(4,))

    def _dynamics(self, state, actions):
        x, x_dot, theta, theta_dot = state.unbind(-1)
        force = torch.where(actions == 1, self.force_mag, -self.force_mag).to(torch.float64)
        costheta, sintheta = _cos(theta), _sin(theta)
        temp = (force + self.polemass_length * (theta_dot * theta_dot) * sintheta) / self.total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * (costheta * costheta) / self.total_mass)
        )
        xacc = temp - self.polemass_length * thetaacc * costheta / self.total_mass
        x = x + self.tau * x_dot
        x_dot = x_dot + self.tau * xacc
        theta = theta + self.tau * theta_dot
        theta_dot = theta_dot + self.tau * thetaacc
        terminated = (
            (x < -self.x_threshold)
            | (x > self.x_threshold)
            | (theta < -self.theta_threshold_radians)
            | (theta > self.theta_threshold_radians)
        )
        return torch.stack((x, x_dot, theta, theta_dot), dim=-1), terminated, torch.ones_like(x)

    def _observation(self, state, envs):
        return state.to(torch.float32)


class AcrobotBatched(TorchBatchedEnv):
    """gymnasium's Acrobot-v1: "book" dynamics, rk4 over dt = 0.2, no torque noise, reward -1 until the goal."""

    gym_id = "Acrobot-v1"
    observation_shape, observation_dim, n_actions = (6,), 6, 3
    dt = 0.2
    LINK_LENGTH_1 = LINK_MASS_1 = LINK_MASS_2 = LINK_MOI = 1.0
    LINK_COM_POS_1 = LINK_COM_POS_2 = 0.5
    MAX_VEL_1, MAX_VEL_2 = 4 * math.pi, 9 * math.pi
    AVAIL_TORQUE = (-1.0, 0.0, 1.0)

    def __init__(self, stream_seeds: Sequence[int], envs_per_network: int):
        super().__init__(stream_seeds, envs_per_network)
        self._torques = torch.tensor(self.AVAIL_TORQUE, dtype=torch.float64)

    def _reset_state(self, rng: np.random.Generator) -> np.ndarray:
        # gymnasium stores the reset state as float32 and integrates in float64 from the first step on.
        return rng.uniform(low=-0.1, high=0.1, size=(4,)).astype(np.float32).astype(np.float64)

    def _dsdt(self, s: tuple[torch.Tensor, ...], a: torch.Tensor) -> tuple[torch.Tensor, ...]:
        # Term by term as gymnasium's AcrobotEnv._dsdt (book dynamics), same operation order.
        m1, m2 = self.LINK_MASS_1, self.LINK_MASS_2
        l1 = self.LINK_LENGTH_1
        lc1, lc2 = self.LINK_COM_POS_1, self.LINK_COM_POS_2
        I1 = I2 = self.LINK_MOI  # noqa: N806 - the physics' names
        g = 9.8
        pi = math.pi
        theta1, theta2, dtheta1, dtheta2 = s
        sin_theta2 = _sin(theta2)
        d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * _cos(theta2)) + I1 + I2
        d2 = m2 * (lc2**2 + l1 * lc2 * _cos(theta2)) + I2
        phi2 = m2 * lc2 * g * _cos(theta1 + theta2 - pi / 2.0)
        phi1 = (
            -m2 * l1 * lc2 * _pow2(dtheta2) * sin_theta2
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin_theta2
            + (m1 * lc1 + m2 * l1) * g * _cos(theta1 - pi / 2)
            + phi2
        )
        ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * _pow2(dtheta1) * sin_theta2 - phi2) / (
            m2 * lc2**2 + I2 - _pow2(d2) / d1
        )
        ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return dtheta1, dtheta2, ddtheta1, ddtheta2

    def _dynamics(self, state, actions):
        torque = self._torques[actions]
        y0 = state.unbind(-1)
        dt = self.dt - 0  # rk4 over t = [0, dt]
        dt2 = dt / 2.0
        k1 = self._dsdt(y0, torque)
        k2 = self._dsdt(tuple(y + dt2 * k for y, k in zip(y0, k1, strict=True)), torque)
        k3 = self._dsdt(tuple(y + dt2 * k for y, k in zip(y0, k2, strict=True)), torque)
        k4 = self._dsdt(tuple(y + dt * k for y, k in zip(y0, k3, strict=True)), torque)
        ns = [y + dt / 6.0 * (a + 2 * b + 2 * c + d) for y, a, b, c, d in zip(y0, k1, k2, k3, k4, strict=True)]
        for j in (0, 1):  # gymnasium's wrap(x, -pi, pi)
            diff = math.pi - -math.pi
            while bool((ns[j] > math.pi).any()):
                ns[j] = torch.where(ns[j] > math.pi, ns[j] - diff, ns[j])
            while bool((ns[j] < -math.pi).any()):
                ns[j] = torch.where(ns[j] < -math.pi, ns[j] + diff, ns[j])
        ns[2] = ns[2].clamp(-self.MAX_VEL_1, self.MAX_VEL_1)
        ns[3] = ns[3].clamp(-self.MAX_VEL_2, self.MAX_VEL_2)
        next_state = torch.stack(ns, dim=-1)
        terminated = -_cos(ns[0]) - _cos(ns[1] + ns[0]) > 1.0
        rewards = torch.where(terminated, 0.0, -1.0).to(torch.float64)
        return next_state, terminated, rewards

    def _observation(self, state, envs):
        s = state.unbind(-1)
        return torch.stack((_cos(s[0]), _sin(s[0]), _cos(s[1]), _sin(s[1]), s[2], s[3]), dim=-1).to(torch.float32)


class PatrolGridBatched(TorchBatchedEnv):
    """The project's PatrolGrid-v0 (``rltickets.core.envs.patrol_grid``), including its noise channel.

    State columns: agent row, agent col, goal row, goal col, enemy phase. Parameters are read from a default
    ``PatrolGridEnv`` so the port follows the env's definition.
    """

    gym_id = "PatrolGrid-v0"

    def __init__(self, stream_seeds: Sequence[int], envs_per_network: int):
        super().__init__(stream_seeds, envs_per_network)
        from ..core.envs.patrol_grid import CHANNELS, MOVES, PatrolGridEnv

        grid = PatrolGridEnv()
        self.size, self.channels = grid.size, CHANNELS
        self.observation_shape = tuple(grid.observation_space.shape)
        self.observation_dim = int(np.prod(self.observation_shape))
        self.n_actions = len(MOVES)
        self.goal_reward, self.caught_reward, self.step_reward = grid.goal_reward, grid.caught_reward, grid.step_reward
        self.noise_probability = grid.noise_probability
        self.start_cells, self.goal_cells, self.route = grid.start_cells, grid.goal_cells, grid.route
        self._moves = torch.as_tensor(MOVES, dtype=torch.long)
        self._route = torch.as_tensor(grid.route, dtype=torch.long)
        self._walls = torch.as_tensor(grid.walls)
        self._walls_channel = torch.as_tensor(grid.walls, dtype=torch.float32)

    def _reset_state(self, rng: np.random.Generator) -> np.ndarray:
        agent = self.start_cells[int(rng.integers(len(self.start_cells)))]
        goal = self.goal_cells[int(rng.integers(len(self.goal_cells)))]
        phase = int(rng.integers(len(self.route)))
        return np.array([agent[0], agent[1], goal[0], goal[1], phase], dtype=np.int64)

    def _dynamics(self, state, actions):
        before, goal, phase_before = state[:, 0:2], state[:, 2:4], state[:, 4]
        target = before + self._moves[actions]
        blocked = self._walls[target[:, 0], target[:, 1]]
        agent = torch.where(blocked[:, None], before, target)
        phase = (phase_before + 1) % len(self.route)
        enemy_before, enemy = self._route[phase_before], self._route[phase]
        caught = (agent == enemy).all(-1) | ((agent == enemy_before).all(-1) & (enemy == before).all(-1))
        reached = (agent == goal).all(-1)
        outcome = torch.where(caught, self.caught_reward, torch.where(reached, self.goal_reward, 0.0))
        rewards = self.step_reward + outcome.to(torch.float64)
        next_state = torch.cat((agent, goal, phase[:, None]), dim=1)
        return next_state, caught | reached, rewards

    def _observation(self, state, envs):
        rows = torch.arange(len(envs))
        obs = torch.zeros((len(envs), *self.observation_shape), dtype=torch.float32)
        enemy = self._route[state[:, 4]]
        obs[rows, self.channels.index("agent"), state[:, 0], state[:, 1]] = 1.0
        obs[rows, self.channels.index("goal"), state[:, 2], state[:, 3]] = 1.0
        obs[:, self.channels.index("walls")] = self._walls_channel
        obs[rows, self.channels.index("enemy"), enemy[:, 0], enemy[:, 1]] = 1.0
        shape = (self.size, self.size)
        noise = np.stack([self.rngs[k].random(shape) < self.noise_probability for k in envs])
        obs[:, self.channels.index("noise")] = torch.from_numpy(noise)
        return obs.reshape(len(envs), -1)


TORCH_PORTS: dict[str, type[TorchBatchedEnv]] = {
    port.gym_id: port for port in (CartPoleBatched, AcrobotBatched, PatrolGridBatched)
}


def env_kind(env_id: str) -> str:
    """ "torch" when ``env_id`` has a torch port, else "gymnasium" (the stepped-in-a-loop fallback)."""
    return "torch" if env_id in TORCH_PORTS else "gymnasium"


def make_batched_env(env_id: str, stream_seeds: Sequence[int], envs_per_network: int) -> BatchedEnv:
    """N = len(stream_seeds) networks x ``envs_per_network`` envs; env i of network n is seeded with seed_n + i."""
    if env_id in TORCH_PORTS:
        return TORCH_PORTS[env_id](stream_seeds, envs_per_network)
    return GymnasiumBatchedEnv(env_id, stream_seeds, envs_per_network)
