"""Dense agents on the observation with the ticket's pruned input units removed (poster panel I), and the
full-observation control: one code path, `train_masked_input_agent`, with every input kept for the control."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from ..core.ppo import PeriodicEvaluation, evaluate, make_eval_env, make_ppo
from ..infra.settings import PpoBudget, TaskSettings


def kept_input_indices(masks: dict[str, torch.Tensor], first_layer: str) -> list[int]:
    """Input units with at least one surviving first-layer weight (Linear weight is out x in)."""
    return torch.nonzero(masks[first_layer].any(dim=0)).squeeze(1).tolist()


def keep_inputs_wrapper():
    """The gymnasium ObservationWrapper class (built lazily so this module imports without gymnasium)."""
    import gymnasium as gym

    class KeepInputs(gym.ObservationWrapper):
        """Flatten the observation and keep only the listed input units (in SB3's flattening order)."""

        def __init__(self, env, keep: list[int]):
            super().__init__(env)
            low = np.asarray(env.observation_space.low, dtype=np.float32).reshape(-1)
            high = np.asarray(env.observation_space.high, dtype=np.float32).reshape(-1)
            self.keep = np.asarray(keep, dtype=np.int64)
            if self.keep.size == 0 or self.keep.max() >= low.size or self.keep.min() < 0:
                raise ValueError(f"keep must list input units in [0, {low.size}), got {keep}")
            self.observation_space = gym.spaces.Box(low[self.keep], high[self.keep], dtype=np.float32)

        def observation(self, observation):
            return np.asarray(observation, dtype=np.float32).reshape(-1)[self.keep]

    return KeepInputs


def train_masked_input_agent(
    task_id: str, settings: TaskSettings, seed: int, keep: list[int], budget: PpoBudget
) -> dict[str, Any]:
    """Train a dense PPO agent (the task's network and hyper-parameters) on the observation reduced to `keep`.

    The full-observation control calls this with every input kept, so both variants share one code path.
    """
    start = time.perf_counter()
    wrapper = {"wrapper_class": keep_inputs_wrapper(), "wrapper_kwargs": {"keep": keep}}
    model = make_ppo(task_id, settings, seed, wrapper)
    eval_env = make_eval_env(task_id, seed, budget.eval_episodes, wrapper)
    callback = PeriodicEvaluation(eval_env, budget.eval_episodes, budget.eval_every_steps)
    mean, std = evaluate(model, eval_env, budget.eval_episodes)  # the untrained agent: curves start at step 0
    callback.history.append({"step": 0, "mean_return": mean, "std_return": std})
    model.learn(total_timesteps=budget.total_timesteps, callback=callback)
    means = [h["mean_return"] for h in callback.history]
    return {
        "task": task_id,
        "seed": seed,
        "n_inputs": len(keep),
        "kept_inputs": list(keep),
        "history": callback.history,
        "best_return": float(max(means)),
        "final_return": float(means[-1]),
        "train_steps": int(model.num_timesteps),
        "wall_time_s": time.perf_counter() - start,
    }
