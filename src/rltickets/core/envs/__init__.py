"""Gymnasium environments of this project, registered on import (``import rltickets.core.envs``).

Registration happens here rather than in tasks.py because tasks.py must stay import-light for the Snakefile;
training code imports this module before it makes any environment.
"""

from __future__ import annotations

import gymnasium as gym

from ..tasks import patrol_route
from .patrol_grid import CHANNELS, PatrolGridEnv, border_cells

PATROL_GRID_ID = "PatrolGrid-v0"

if PATROL_GRID_ID not in gym.registry:
    # max_episode_steps equals the env's own max_steps: the TimeLimit wrapper and the env agree on truncation.
    gym.register(id=PATROL_GRID_ID, entry_point="rltickets.core.envs.patrol_grid:PatrolGridEnv", max_episode_steps=50)

__all__ = ["CHANNELS", "PATROL_GRID_ID", "PatrolGridEnv", "border_cells", "patrol_route"]
