"""The patrolling-enemy gridworld: a real, seeded gymnasium env that passes check_env and can be solved."""

from collections import deque

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from rltickets.core.envs import CHANNELS, PATROL_GRID_ID, PatrolGridEnv, border_cells, patrol_route
from rltickets.core.envs.patrol_grid import MOVES
from rltickets.core.tasks import PATROL_GRID_CHANNELS, PATROL_GRID_SIZE, get_task


def test_passes_gymnasium_env_checker():
    check_env(gym.make(PATROL_GRID_ID).unwrapped, skip_render_check=False)
    check_env(PatrolGridEnv(size=9))


def test_registry_entry_matches_env():
    env = gym.make(PATROL_GRID_ID)
    spec = get_task(PATROL_GRID_ID)
    assert PATROL_GRID_CHANNELS == CHANNELS == spec.image_channels
    assert env.observation_space.shape == (len(CHANNELS), PATROL_GRID_SIZE, PATROL_GRID_SIZE)
    assert len(spec.input_names) == int(np.prod(env.observation_space.shape))
    assert spec.input_names[0] == "agent (0,0)" and spec.input_names[-1] == "noise (6,6)"


def rollout(seed: int, actions: list[int]) -> list[np.ndarray]:
    env = gym.make(PATROL_GRID_ID)
    obs, _ = env.reset(seed=seed)
    observations = [obs]
    for action in actions:
        obs, _, terminated, truncated, _ = env.step(action)
        observations.append(obs)
        if terminated or truncated:
            break
    return observations


def test_seeded_episodes_repeat_exactly_and_seeds_differ():
    actions = [0, 1, 0, 2, 0, 0]
    first, again, other = rollout(3, actions), rollout(3, actions), rollout(4, actions)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=False))


def test_enemy_walks_the_fixed_patrol_route_and_only_there():
    env = PatrolGridEnv()
    route = patrol_route(env.size)
    assert len(set(route)) == env.size - 2 and all(col == env.size // 2 for _, col in route)
    for seed in range(5):
        obs, info = env.reset(seed=seed)
        phase = env.phase
        for step in range(1, 30):
            obs, _, terminated, _, info = env.step(0)  # the agent waits in the start column: never caught
            assert not terminated
            assert info["enemy"] == route[(phase + step) % len(route)]
            enemy = np.argwhere(obs[CHANNELS.index("enemy")] == 1)
            assert [tuple(cell) for cell in enemy] == [info["enemy"]]


def test_channels_walls_constant_and_noise_is_a_fair_coin():
    env = PatrolGridEnv()
    obs, _ = env.reset(seed=0)
    assert np.array_equal(obs[CHANNELS.index("walls")], border_cells(env.size))
    noise = [env.step(0)[0][CHANNELS.index("noise")] for _ in range(200)]
    assert 0.45 < np.mean(noise) < 0.55
    assert not np.array_equal(noise[0], noise[1])


def test_goal_pays_caught_costs_and_walls_block():
    env = PatrolGridEnv()
    env.reset(seed=0)
    env.agent, env.goal, env.phase = (3, 4), (3, 5), 0  # enemy at the top of the route
    _, reward, terminated, _, _ = env.step(4)
    assert terminated and reward == pytest.approx(env.goal_reward + env.step_reward)
    env.reset(seed=0)
    route = patrol_route(env.size)
    env.agent, env.goal, env.phase = (route[1][0], route[1][1] - 1), (1, 5), 0  # the enemy steps to route[1]
    _, reward, terminated, _, _ = env.step(4)  # the agent steps onto route[1] as well
    assert terminated and reward == pytest.approx(env.caught_reward + env.step_reward)
    env.reset(seed=0)
    env.agent = (1, 1)
    env.step(1)  # up, into the wall
    assert env.agent == (1, 1)


def test_truncates_after_max_steps():
    env = gym.make(PATROL_GRID_ID)
    env.reset(seed=0)
    truncations = []
    for _ in range(50):
        _, _, terminated, truncated, _ = env.step(0)
        assert not terminated
        truncations.append(truncated)
    assert truncations == [False] * 49 + [True]


def safe_path_policy(env: PatrolGridEnv) -> int:
    """Breadth-first search in (cell, enemy phase) space: the shortest path to the goal that is never caught."""
    start = (env.agent, env.phase)
    parents = {start: None}
    queue = deque([start])
    while queue:
        cell, phase = queue.popleft()
        if cell == env.goal:
            while parents[(cell, phase)][0] != start:
                cell, phase = parents[(cell, phase)][0]
            return parents[(cell, phase)][1]
        enemy_before, next_phase = env.route[phase], (phase + 1) % len(env.route)
        enemy = env.route[next_phase]
        for action, (dr, dc) in enumerate(MOVES):
            target = (cell[0] + int(dr), cell[1] + int(dc))
            if env.walls[target]:
                target = cell
            if target == enemy or (target == enemy_before and enemy == cell):
                continue
            if (target, next_phase) not in parents:
                parents[(target, next_phase)] = ((cell, phase), action)
                queue.append((target, next_phase))
    return 0


def test_task_is_solvable_by_a_planner():
    env = PatrolGridEnv()
    successes = 0
    for seed in range(50):
        env.reset(seed=seed)
        while True:
            _, reward, terminated, truncated, _ = env.step(safe_path_policy(env))
            if terminated or truncated:
                successes += reward > 0.5
                break
    assert successes == 50


def test_training_code_can_make_the_env():
    from stable_baselines3.common.env_util import make_vec_env

    import rltickets.core.ppo  # noqa: F401 - registers the env

    env = make_vec_env(PATROL_GRID_ID, n_envs=2, seed=0)
    assert env.reset().shape == (2, len(CHANNELS), PATROL_GRID_SIZE, PATROL_GRID_SIZE)
