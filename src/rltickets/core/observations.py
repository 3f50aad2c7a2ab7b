"""Observation standardisation with fixed statistics (init rescaling `obs_standardized`, a reconstruction [R]).

A network of a standardised chain sees x' = (x − μ) / σ instead of the env's observation x, per input (the flattened
observation, C order as SB3's FlattenExtractor): μ and σ are the mean and population standard deviation of the
observations of one seed's expert BC dataset, σ floored at `STD_FLOOR` (a constant input would otherwise divide by
zero). They are computed once per (task, seed) and fixed for the whole chain; RL and BC students of that seed use
the same ones, in training and in evaluation. The expert is not retrained: its data stay raw observations.

Both training backends compute x' in float32 with the same two IEEE operations (subtract, then divide), so the
stable-baselines3 wrapper (`StandardizeObservation`) and the batched engine (`engine.vec_envs.AffineObservations`)
give bit-identical observation streams.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch

STD_FLOOR = 1e-8
MEAN_KEY, STD_KEY = "observation_mean", "observation_std"


@dataclass(frozen=True, eq=False)
class ObservationStandardization:
    """Fixed per-input statistics: `mean` and floored `std`, float32 vectors over the flattened observation."""

    mean: np.ndarray
    std: np.ndarray

    def __post_init__(self):
        mean = np.asarray(self.mean, dtype=np.float32).reshape(-1)
        std = np.asarray(self.std, dtype=np.float32).reshape(-1)
        if mean.shape != std.shape:
            raise ValueError(f"observation mean {mean.shape} and std {std.shape} differ in shape")
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
            raise ValueError(f"observation statistics must be finite with std > 0, got mean {mean}, std {std}")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    @classmethod
    def of_observations(cls, observations: np.ndarray, floor: float = STD_FLOOR) -> ObservationStandardization:
        """μ and max(σ, floor) per input of `observations` [n, ...] (σ the population std, ddof 0), in float64."""
        flat = np.asarray(observations, dtype=np.float64).reshape(len(observations), -1)
        if len(flat) == 0:
            raise ValueError("observation statistics need at least one observation")
        return cls(flat.mean(axis=0), np.maximum(flat.std(axis=0), floor))

    @classmethod
    def of_dataset(cls, dataset: dict[str, np.ndarray], floor: float = STD_FLOOR) -> ObservationStandardization:
        """The statistics of an expert BC dataset's observations (`rltickets.bc.dataset.load_bc_dataset`)."""
        return cls.of_observations(dataset["observations"], floor)

    def standardize(self, observations: np.ndarray) -> np.ndarray:
        """(x − μ) / σ of float32 observations [..., *obs_shape] whose trailing dims flatten to `dim`, same shape."""
        observations = np.asarray(observations, dtype=np.float32)
        flat = observations.reshape(-1, self.dim)
        return ((flat - self.mean) / self.std).reshape(observations.shape)

    def standardize_dataset(self, dataset: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The dataset with standardised observations (the expert's actions, the labels, unchanged)."""
        return {**dataset, "observations": self.standardize(dataset["observations"])}

    def sb3_wrapper(self) -> dict[str, Any]:
        """`make_vec_env`'s wrapper_class / wrapper_kwargs (the `wrapper` of `core.ppo.make_ppo` / `make_eval_env`)."""
        return {"wrapper_class": StandardizeObservation, "wrapper_kwargs": {"standardization": self}}

    def to_tensors(self) -> dict[str, torch.Tensor]:
        return {MEAN_KEY: torch.from_numpy(self.mean.copy()), STD_KEY: torch.from_numpy(self.std.copy())}

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor]) -> ObservationStandardization:
        return cls(tensors[MEAN_KEY].numpy(), tensors[STD_KEY].numpy())

    def save(self, path: str | os.PathLike) -> None:
        from ..infra.tensors import save_tensors

        save_tensors(path, self.to_tensors())

    @classmethod
    def load(cls, path: str | os.PathLike) -> ObservationStandardization:
        from ..infra.tensors import load_tensors

        return cls.from_tensors(load_tensors(path))

    def describe(self) -> dict[str, list[float]]:
        """For a metrics.json: the statistics the network saw its inputs through."""
        return {"mean": [float(v) for v in self.mean], "std": [float(v) for v in self.std]}


class StandardizeObservation(gym.ObservationWrapper):
    """A gymnasium env whose observations are standardised with fixed statistics (float32, unbounded Box)."""

    def __init__(self, env: gym.Env, standardization: ObservationStandardization):
        super().__init__(env)
        shape = env.observation_space.shape
        if int(np.prod(shape)) != standardization.dim:
            raise ValueError(f"statistics of {standardization.dim} inputs for observations of shape {shape}")
        self.standardization = standardization
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, shape=shape, dtype=np.float32)

    def observation(self, observation):
        return self.standardization.standardize(observation)


def stacked_affine(
    standardizations: Sequence[ObservationStandardization | None],
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(shift [N, dim], scale [N, dim]) float32 for N networks, identity (0, 1) where a network has none (exact in
    float32); None if no network has statistics (then nothing needs transforming)."""
    given = [s for s in standardizations if s is not None]
    if not given:
        return None
    dim = given[0].dim
    shift = torch.zeros(len(standardizations), dim)
    scale = torch.ones(len(standardizations), dim)
    for n, standardization in enumerate(standardizations):
        if standardization is not None:
            if standardization.dim != dim:
                raise ValueError(f"observation statistics of {standardization.dim} inputs for {dim}-input observations")
            shift[n], scale[n] = torch.from_numpy(standardization.mean), torch.from_numpy(standardization.std)
    return shift, scale
