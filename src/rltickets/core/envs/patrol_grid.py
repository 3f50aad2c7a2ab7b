"""PatrolGrid: a small visual navigation gridworld with a patrolling enemy (docs/protocol.md §1.1, sizes [R]).

The observation is a stack of binary image channels (channel, row, col):

* ``agent``   -- the agent's cell;
* ``goal``    -- the goal cell (drawn at reset from the goal cells);
* ``walls``   -- the border wall (constant: it carries no information);
* ``enemy``   -- the enemy's cell; the enemy walks a fixed patrol route (back and forth along one column),
  starting at a random phase, so the enemy channel is only ever non-zero on the route;
* ``noise``   -- a pure-noise distractor: every cell is an independent coin flip at every step.

Reaching the goal pays +1, being caught (sharing a cell with the enemy, or swapping cells with it) costs -1,
every step costs a little. An episode ends at the goal, when caught, or after ``max_steps`` (truncation).
What the task needs is the agent, goal and enemy channels inside the border; the border cells of every
channel, the wall channel and the noise channel are task-irrelevant -- which is what the input-layer masks
of tickets are checked against.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ..tasks import patrol_route

CHANNELS = ("agent", "goal", "walls", "enemy", "noise")
# Actions: stay, up, down, left, right (staying lets the agent wait for the enemy to pass).
MOVES = np.array([(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)], dtype=np.int64)


def border_cells(size: int) -> np.ndarray:
    """Boolean (size, size) map of the border (wall) cells."""
    border = np.zeros((size, size), dtype=bool)
    border[0, :] = border[-1, :] = border[:, 0] = border[:, -1] = True
    return border


class PatrolGridEnv(gym.Env):
    """Reach the goal on the right without being caught by the enemy patrolling the middle column."""

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        size: int = 7,
        max_steps: int = 50,
        goal_reward: float = 1.0,
        caught_reward: float = -1.0,
        step_reward: float = -0.03,
        noise_probability: float = 0.5,
        render_mode: str | None = None,
    ):
        if size < 5:
            raise ValueError(f"size must be >= 5 (border, start column, patrol column, goal column), got {size}")
        self.size, self.max_steps = size, max_steps
        self.goal_reward, self.caught_reward, self.step_reward = goal_reward, caught_reward, step_reward
        self.noise_probability = noise_probability
        self.render_mode = render_mode
        self.route = patrol_route(size)
        self.walls = border_cells(size)
        interior = range(1, size - 1)
        self.start_cells = [(row, 1) for row in interior]
        self.goal_cells = [(row, size - 2) for row in interior]
        self.observation_space = spaces.Box(0.0, 1.0, shape=(len(CHANNELS), size, size), dtype=np.float32)
        self.action_space = spaces.Discrete(len(MOVES))

    # -- state -> observation ---------------------------------------------------------------------------------
    def _observation(self) -> np.ndarray:
        obs = np.zeros(self.observation_space.shape, dtype=np.float32)
        obs[CHANNELS.index("agent"), self.agent[0], self.agent[1]] = 1.0
        obs[CHANNELS.index("goal"), self.goal[0], self.goal[1]] = 1.0
        obs[CHANNELS.index("walls")] = self.walls
        enemy = self.route[self.phase]
        obs[CHANNELS.index("enemy"), enemy[0], enemy[1]] = 1.0
        obs[CHANNELS.index("noise")] = self.np_random.random((self.size, self.size)) < self.noise_probability
        return obs

    def _info(self) -> dict:
        return {"agent": tuple(self.agent), "goal": tuple(self.goal), "enemy": self.route[self.phase]}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.agent = self.start_cells[int(self.np_random.integers(len(self.start_cells)))]
        self.goal = self.goal_cells[int(self.np_random.integers(len(self.goal_cells)))]
        self.phase = int(self.np_random.integers(len(self.route)))
        self.steps = 0
        return self._observation(), self._info()

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"invalid action {action!r}; expected an integer in [0, {len(MOVES) - 1}]")
        before, enemy_before = self.agent, self.route[self.phase]
        row, col = before[0] + int(MOVES[action][0]), before[1] + int(MOVES[action][1])
        if not self.walls[row, col]:  # walking into the wall leaves the agent where it is
            self.agent = (row, col)
        self.phase = (self.phase + 1) % len(self.route)
        enemy = self.route[self.phase]
        self.steps += 1
        caught = self.agent == enemy or (self.agent == enemy_before and enemy == before)
        reached = self.agent == self.goal
        reward = self.step_reward + (self.caught_reward if caught else self.goal_reward if reached else 0.0)
        terminated = caught or reached
        truncated = not terminated and self.steps >= self.max_steps
        return self._observation(), float(reward), terminated, truncated, self._info()

    def render(self):
        if self.render_mode == "rgb_array":  # one colour per channel, 8x8 pixels per cell
            colours = {"walls": (90, 90, 90), "goal": (40, 170, 60), "enemy": (200, 40, 40), "agent": (40, 90, 220)}
            image = np.full((self.size, self.size, 3), 255, dtype=np.uint8)
            image[self.walls] = colours["walls"]
            image[self.goal] = colours["goal"]
            image[self.route[self.phase]] = colours["enemy"]
            image[self.agent] = colours["agent"]
            return np.kron(image, np.ones((8, 8, 1), dtype=np.uint8))
        if self.render_mode != "ansi":
            return None
        chars = np.where(self.walls, "#", ".").astype("<U1")
        chars[self.goal] = "G"
        chars[self.route[self.phase]] = "E"
        chars[self.agent] = "A"
        return "\n".join("".join(row) for row in chars)
