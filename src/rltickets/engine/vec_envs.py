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
    ``make_vec_env(env_id, n_envs=E, seed=stream_seeds[n])``. Only resets loop over envs; the step of all N x E
    envs is one set of tensor operations (CPU). ``state`` is the flat [N * E, state_dim] state after autoreset,
    ``final_state`` the state the last step reached (before autoreset), ``steps`` the TimeLimit step counters.
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
    def _reset_state(self, k: int) -> np.ndarray:
        """The state gymnasium's reset draws for env k (same draws from ``self.rngs[k]``)."""
        raise NotImplementedError

    def _dynamics(self, state: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(next state, terminated, float32 reward) of one step of every env; a new state tensor."""
        raise NotImplementedError

    def _observation(self, state: torch.Tensor, envs: Sequence[int]) -> torch.Tensor:
        """float32 [len(envs), obs_dim] observation of ``state`` (the rows of ``envs``)."""
        raise NotImplementedError

    def reset(self) -> torch.Tensor:
        if not self.rngs:  # the first reset seeds; later ones continue each env's stream (SB3's DummyVecEnv)
            seeds = [self.env_seed(n, i) for n in range(self.num_networks) for i in range(self.envs_per_network)]
            self.rngs = [gym.utils.seeding.np_random(seed)[0] for seed in seeds]
        self.state = torch.from_numpy(np.stack([self._reset_state(k) for k in self._all_envs]))
        self.steps.zero_()
        return self._observation(self.state, self._all_envs).view(self.num_networks, self.envs_per_network, -1)

    @property
    def _all_envs(self) -> range:
        return range(self.num_envs)

    def _flat_actions(self, actions: torch.Tensor) -> torch.Tensor:
        actions = torch.as_tensor(actions).reshape(self.num_envs).long()
        values = actions.numpy()
        if values.min() < 0 or values.max() >= self.n_actions:
            raise ValueError(f"{self.env_id}: actions must lie in [0, {self.n_actions - 1}]")
        return actions

    def step(self, actions: torch.Tensor) -> StepResult:
        if self.state is None:
            raise RuntimeError("call reset() before step()")
        next_state, terminated, rewards = self._dynamics(self.state, self._flat_actions(actions))
        final_obs = self._observation(next_state, self._all_envs)
        self.final_state = next_state
        # Episode bookkeeping on numpy views of the tensors: per-call overhead of torch ops dominates at this size.
        steps = self.steps.numpy()
        steps += 1
        ended_by_goal = terminated.numpy()
        truncated = (steps >= self.max_episode_steps) & ~ended_by_goal
        ended = np.flatnonzero(ended_by_goal | truncated)
        if len(ended):
            next_state = next_state.clone()
            next_state[ended] = torch.from_numpy(np.stack([self._reset_state(k) for k in ended]))
            steps[ended] = 0
            obs = final_obs.clone()
            obs[ended] = self._observation(next_state[ended], ended)
        else:
            obs = final_obs
        self.state = next_state
        shape = (self.num_networks, self.envs_per_network)
        return StepResult(
            obs.view(*shape, -1),
            rewards.view(shape),
            terminated.view(shape),
            torch.from_numpy(truncated).view(shape),
            final_obs.view(*shape, -1),
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

    def __init__(self, stream_seeds: Sequence[int], envs_per_network: int):
        super().__init__(stream_seeds, envs_per_network)
        self._forces = torch.tensor([-self.force_mag, self.force_mag], dtype=torch.float64)
        self._thresholds = torch.tensor([self.x_threshold, self.theta_threshold_radians], dtype=torch.float64)
        self._rewards = torch.ones(self.num_envs, dtype=torch.float32)

    def _reset_state(self, k: int) -> np.ndarray:
        return self.rngs[k].uniform(low=-0.05, high=0.05, size=(4,))

    def _dynamics(self, state, actions):
        x, x_dot, theta, theta_dot = state.unbind(-1)
        force = self._forces[actions]
        costheta, sintheta = _cos(theta), _sin(theta)
        temp = (force + self.polemass_length * (theta_dot * theta_dot) * sintheta) / self.total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * (costheta * costheta) / self.total_mass)
        )
        xacc = temp - self.polemass_length * thetaacc * costheta / self.total_mass
        # Euler, all four components at once: x + tau * x_dot, x_dot + tau * xacc, ... elementwise as gymnasium.
        next_state = state + self.tau * torch.stack((x_dot, xacc, theta_dot, thetaacc), dim=-1)
        # x < -threshold or x > threshold  <=>  |x| > threshold (negation is exact)
        terminated = (next_state[:, 0::2].abs() > self._thresholds).any(-1)
        return next_state, terminated, self._rewards.clone()

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
        self._velocity_high = torch.tensor([math.inf, math.inf, self.MAX_VEL_1, self.MAX_VEL_2], dtype=torch.float64)
        self._velocity_low = -self._velocity_high
        self._rewards = torch.tensor([-1.0, 0.0], dtype=torch.float32)  # not terminated, terminated

    def _reset_state(self, k: int) -> np.ndarray:
        # gymnasium stores the reset state as float32 and integrates in float64 from the first step on.
        return self.rngs[k].uniform(low=-0.1, high=0.1, size=(4,)).astype(np.float32).astype(np.float64)

    def _dsdt(self, s: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        # Term by term as gymnasium's AcrobotEnv._dsdt (book dynamics), same operation order.
        m1, m2 = self.LINK_MASS_1, self.LINK_MASS_2
        l1 = self.LINK_LENGTH_1
        lc1, lc2 = self.LINK_COM_POS_1, self.LINK_COM_POS_2
        I1 = I2 = self.LINK_MOI  # noqa: N806 - the physics' names
        g = 9.8
        pi = math.pi
        theta1, theta2, dtheta1, dtheta2 = s.unbind(-1)
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
        return torch.stack((dtheta1, dtheta2, ddtheta1, ddtheta2), dim=-1)

    def _dynamics(self, state, actions):
        torque = self._torques[actions]
        dt = self.dt - 0  # gymnasium's rk4 over t = [0, dt]
        dt2 = dt / 2.0
        # Stage arithmetic on all four components at once (elementwise, so the same operations as gymnasium's).
        k1 = self._dsdt(state, torque)
        k2 = self._dsdt(state + dt2 * k1, torque)
        k3 = self._dsdt(state + dt2 * k2, torque)
        k4 = self._dsdt(state + dt * k3, torque)
        next_state = state + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        angles = next_state.numpy()[:, :2]  # gymnasium's wrap(x, -pi, pi), in place on the shared memory
        diff = math.pi - -math.pi
        while (over := angles > math.pi).any():
            angles[over] -= diff
        while (under := angles < -math.pi).any():
            angles[under] += diff
        next_state.clamp_(self._velocity_low, self._velocity_high)  # gymnasium's bound() on the velocities
        ns = next_state.unbind(-1)
        terminated = -_cos(ns[0]) - _cos(ns[1] + ns[0]) > 1.0
        return next_state, terminated, self._rewards[terminated.long()]

    def _observation(self, state, envs):
        s = state.unbind(-1)
        return torch.stack((_cos(s[0]), _sin(s[0]), _cos(s[1]), _sin(s[1]), s[2], s[3]), dim=-1).to(torch.float32)


class PatrolGridBatched(TorchBatchedEnv):
    """The project's PatrolGrid-v0 (``rltickets.core.envs.patrol_grid``), including its noise channel.

    State columns: agent cell, goal cell (flat ``row * size + col``) and enemy phase. Parameters are read from a
    default ``PatrolGridEnv`` so the port follows the env's definition.

    The noise channel is one ``random((size, size))`` draw per observation from the env's generator. Drawing it
    env by env at every step would dominate the step, so at each reset the port draws the noise of a whole episode
    at once (the draws follow each other in the stream, so the values are the same) and, at the next reset,
    rewinds the generator to where gymnasium's would be: the state before the block, plus the draws used.
    """

    gym_id = "PatrolGrid-v0"

    def __init__(self, stream_seeds: Sequence[int], envs_per_network: int):
        super().__init__(stream_seeds, envs_per_network)
        from ..core.envs.patrol_grid import CHANNELS, MOVES, PatrolGridEnv

        grid = PatrolGridEnv()
        # The env truncates itself after max_steps, the TimeLimit wrapper after max_episode_steps (both 50).
        self.max_episode_steps = min(self.max_episode_steps, grid.max_steps)
        self.size, self.channels = grid.size, CHANNELS
        self.observation_shape = tuple(grid.observation_space.shape)
        self.observation_dim = int(np.prod(self.observation_shape))
        self.n_actions = len(MOVES)
        self.goal_reward, self.caught_reward, self.step_reward = grid.goal_reward, grid.caught_reward, grid.step_reward
        self.noise_probability = grid.noise_probability
        self.start_cells, self.goal_cells, self.route = grid.start_cells, grid.goal_cells, grid.route
        size, cells = self.size, self.size * self.size
        self._moves = torch.as_tensor([int(row) * size + int(col) for row, col in MOVES])
        self._route = torch.as_tensor([row * size + col for row, col in grid.route])
        self._next_phase = torch.as_tensor([(phase + 1) % len(grid.route) for phase in range(len(grid.route))])
        self._walls = torch.as_tensor(grid.walls).flatten()
        # Reward by outcome (neither, reached, caught, caught and reached), summed in float64 as the env does.
        outcomes = (0.0, self.goal_reward, self.caught_reward, self.caught_reward)
        self._rewards = torch.tensor([self.step_reward + outcome for outcome in outcomes], dtype=torch.float32)
        self._channel_offsets = torch.tensor([CHANNELS.index(c) * cells for c in ("agent", "goal", "enemy")])
        self._empty_observation = torch.zeros(self.observation_dim, dtype=torch.float32)
        walls = CHANNELS.index("walls") * cells
        self._empty_observation[walls : walls + cells] = torch.as_tensor(grid.walls, dtype=torch.float32).flatten()
        self._noise_slice = slice(CHANNELS.index("noise") * cells, (CHANNELS.index("noise") + 1) * cells)
        # One noise draw per observation of an episode: the reset's and one per step up to the time limit.
        self._noise_block = self.max_episode_steps + 1
        self._noise = torch.zeros((self.num_envs, self._noise_block, cells), dtype=torch.float32)
        self._noise_values = self._noise.numpy()
        self._noise_used = torch.zeros(self.num_envs, dtype=torch.long)
        self._state_before_block: list[dict | None] = [None] * self.num_envs  # None: generator not ahead
        self._all = torch.arange(self.num_envs)
        self._scratch_rng = np.random.Generator(np.random.PCG64(0))

    def _gymnasium_position(self, k: int, rng: np.random.Generator) -> None:
        """Set ``rng`` to where gymnasium's generator of env k is: before the noise block, plus the draws used."""
        rng.bit_generator.state = self._state_before_block[k]
        rng.random(int(self._noise_used[k]) * self.size * self.size)

    def generator_state(self, k: int) -> dict:
        """The bit-generator state gymnasium's env k would have now (the port's own generator runs ahead)."""
        if self._state_before_block[k] is None:
            return self.rngs[k].bit_generator.state
        self._gymnasium_position(k, self._scratch_rng)
        return self._scratch_rng.bit_generator.state

    def _rewind(self, k: int) -> None:
        if self._state_before_block[k] is not None:
            self._gymnasium_position(k, self.rngs[k])
            self._state_before_block[k] = None

    def _draw_noise_block(self, k: int) -> None:
        """Draw the noise of the next observations of env k; gymnasium's generator is where env k's is now."""
        rng = self.rngs[k]
        self._state_before_block[k] = rng.bit_generator.state
        block = rng.random((self._noise_block, self.size * self.size)) < self.noise_probability
        self._noise_values[k] = block  # through the numpy view: a torch copy per env costs more than the draw
        self._noise_used[k] = 0

    def _reset_state(self, k: int) -> np.ndarray:
        self._rewind(k)
        rng = self.rngs[k]
        agent = self.start_cells[int(rng.integers(len(self.start_cells)))]
        goal = self.goal_cells[int(rng.integers(len(self.goal_cells)))]
        phase = int(rng.integers(len(self.route)))
        self._draw_noise_block(k)
        return np.array([agent[0] * self.size + agent[1], goal[0] * self.size + goal[1], phase], dtype=np.int64)

    def _dynamics(self, state, actions):
        before, goal, phase_before = state.unbind(1)
        target = before + self._moves[actions]
        agent = torch.where(self._walls[target], before, target)  # walking into the wall leaves the agent in place
        phase = self._next_phase[phase_before]
        enemy_before, enemy = self._route[phase_before], self._route[phase]
        caught = (agent == enemy) | ((agent == enemy_before) & (enemy == before))
        reached = agent == goal
        rewards = self._rewards[caught.long() * 2 + reached.long()]
        return torch.stack((agent, goal, phase), dim=1), caught | reached, rewards

    def _observation(self, state, envs):
        envs = self._all if isinstance(envs, range) else torch.as_tensor(envs, dtype=torch.long)
        for k in np.flatnonzero(self._noise_used.numpy() >= self._noise_block):  # only if an episode outlasts a block
            self._draw_noise_block(k)
        obs = self._empty_observation.expand(len(envs), -1).clone()
        cells = torch.stack((state[:, 0], state[:, 1], self._route[state[:, 2]]), dim=1)
        obs.scatter_(1, cells + self._channel_offsets, 1.0)
        used = self._noise_used[envs]
        obs[:, self._noise_slice] = self._noise.view(-1, self._noise.shape[-1])[envs * self._noise_block + used]
        self._noise_used[envs] = used + 1
        return obs


TORCH_PORTS: dict[str, type[TorchBatchedEnv]] = {
    port.gym_id: port for port in (CartPoleBatched, AcrobotBatched, PatrolGridBatched)
}


def env_kind(env_id: str) -> str:
    """Which implementation ``env_id`` gets: "torch" (a port) or "gymnasium" (the stepped-in-a-loop fallback)."""
    return "torch" if env_id in TORCH_PORTS else "gymnasium"


def make_batched_env(env_id: str, stream_seeds: Sequence[int], envs_per_network: int) -> BatchedEnv:
    """N = len(stream_seeds) networks x ``envs_per_network`` envs; env i of network n is seeded with seed_n + i."""
    if env_id in TORCH_PORTS:
        return TORCH_PORTS[env_id](stream_seeds, envs_per_network)
    return GymnasiumBatchedEnv(env_id, stream_seeds, envs_per_network)
