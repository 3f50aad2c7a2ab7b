"""One IMP level: derive the mask from the previous level, rewind to θ0, train (RL or BC), report.

Level 0 is the dense run from θ0. Level k > 0 prunes `prune_fraction` of the weights that survived level
k-1, using level k-1's *trained* weights, then rewinds the survivors to θ0 (the ticket `m_k ⊙ θ0`).

A level job (`LevelJob`: a chain at one level for some seeds, `run_level_job`) does this for every seed and, where
the config asks for them, derives and trains the disentangling baselines from each seed's new mask: every network
of the level is listed first (`level_networks`), then all are trained by one backend (`train_networks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from ..core.masking import dense_masks, prunable_weight_names
from ..core.pruning import (
    connectivity,
    fraction_remaining,
    input_unit_survival,
    layer_sparsity,
    output_layer_name,
    prune_level,
)
from ..infra.settings import ImpSettings, TaskSettings

if TYPE_CHECKING:
    from ..core.observations import ObservationStandardization

PARADIGMS = ("rl", "bc")
Tensors = dict[str, torch.Tensor]


@dataclass(frozen=True)
class LevelId:
    """Which network a level folder holds: its paradigm, task, seed and IMP level."""

    paradigm: str
    task: str
    seed: int
    level: int

    def __post_init__(self):
        if self.paradigm not in PARADIGMS:
            raise ValueError(f"unknown paradigm {self.paradigm!r}; expected one of {PARADIGMS}")


def masks_for_level(
    level: int,
    dense: Tensors,
    previous_masks: Tensors | None,
    previous_weights: Tensors | None,
    prune: ImpSettings | float,
) -> Tensors:
    """Level k's mask: dense at level 0, else one IMP step from level k-1's mask and trained weights.

    `prune` is the job's `ImpSettings` (its prune fraction and output-layer rule, `imp.output_layer`,
    `imp.layer_floor`). A bare fraction is the plain global rule (`output_layer: prune`), as every caller passed
    before the output-layer rule existed.
    """
    if level == 0:
        return dense
    if previous_masks is None or previous_weights is None:
        raise ValueError(f"level {level} needs the masks and trained weights of level {level - 1}")
    if isinstance(prune, ImpSettings):
        return prune_level(
            previous_weights, previous_masks, prune.prune_fraction, prune.output_layer, prune.layer_floor
        )
    return prune_level(previous_weights, previous_masks, float(prune), "prune")


def level_report(masks: Tensors, first_layer: str) -> dict[str, Any]:
    """What a level's metrics.json says about its mask: sparsity per layer, input-unit survival, and whether the
    network is still connected (`disconnected`: a masked layer is empty, or no input reaches an output)."""
    return {
        "fraction_remaining": fraction_remaining(masks),
        "layer_sparsity": layer_sparsity(masks),
        "first_layer": first_layer,
        "input_unit_survival": input_unit_survival(masks, first_layer),
        "output_layer": output_layer_name(masks),
        **connectivity(masks),
    }


def run_identity(run: LevelId, masks: Tensors, theta0: Tensors) -> dict[str, Any]:
    """What a level folder's metrics.json says about itself: which run it is and what its mask keeps."""
    return {
        "paradigm": run.paradigm,
        "task": run.task,
        "seed": run.seed,
        "level": run.level,
        **level_report(masks, prunable_weight_names(theta0)[0]),
    }


def train_masked(
    run: LevelId,
    settings: TaskSettings,
    init: Tensors,
    masks: Tensors,
    dataset: dict | None = None,
    observation_standardization: ObservationStandardization | None = None,
) -> tuple[Tensors, dict[str, Any]]:
    """Train `masks ⊙ init` with RL (PPO) or BC for the task's budget. Returns (trained state_dict, metrics).

    The one training path shared by tickets and their baselines: only the mask and the init differ (and, in a
    chain with observation statistics, what the network sees: `core.observations`).
    """
    from ..core.cloning import train_bc
    from ..core.ppo import train_ppo

    standardization = {"observation_standardization": observation_standardization}
    if run.paradigm == "rl":
        model, metrics = train_ppo(
            run.task, settings, run.seed, settings.need("rl"), theta0=init, masks=masks, **standardization
        )
        policy = model.policy
    else:
        if dataset is None:
            raise ValueError("the BC paradigm needs the expert dataset")
        policy, metrics = train_bc(
            run.task, settings, run.seed, dataset, settings.need("bc"), theta0=init, masks=masks, **standardization
        )
    return {k: v.detach().clone() for k, v in policy.state_dict().items()}, metrics


TICKET = "mask_weights"


@dataclass(frozen=True)
class NetworkToTrain:
    """One network of a level job: which run it is, its condition (the ticket or a baseline), its start and mask,
    and the fixed statistics its observations are standardised with (None: raw observations)."""

    run: LevelId
    condition: str
    init: Tensors
    masks: Tensors
    theta0: Tensors
    observation_standardization: ObservationStandardization | None = None


@dataclass(frozen=True)
class TrainedNetwork:
    network: NetworkToTrain
    weights: Tensors
    metrics: dict[str, Any]


@dataclass(frozen=True)
class LevelJob:
    """One level job: a chain (paradigm, task) at `level` for `seeds`, the baseline `conditions` trained beside the
    tickets (empty: tickets only), and the settings every network of the job trains with."""

    paradigm: str
    task: str
    level: int
    seeds: tuple[int, ...]
    settings: TaskSettings
    imp: ImpSettings
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeedInputs:
    """What one seed's networks of a level job start from: θ0, level k-1's (masks, trained weights) (None at level
    0), the expert data (BC only) and the fixed statistics its observations are standardised with (None: raw)."""

    theta0: Tensors
    previous: tuple[Tensors, Tensors] | None = None
    dataset: dict | None = None
    observation_standardization: ObservationStandardization | None = None


def level_networks(job: LevelJob, inputs: Sequence[SeedInputs]) -> list[NetworkToTrain]:
    """Every network one level job trains: per seed the ticket (its mask from level k-1), then per condition and
    seed the baseline derived from that mask (`rltickets.baselines.transforms`). `inputs`: one per seed of the job,
    in its order."""
    from ..baselines.transforms import baseline_start, reinit_seed

    if len(inputs) != len(job.seeds):
        raise ValueError(f"{len(inputs)} seed inputs for the job's {len(job.seeds)} seeds {list(job.seeds)}")
    tickets = []
    for seed, given in zip(job.seeds, inputs, strict=True):
        run = LevelId(job.paradigm, job.task, seed, job.level)
        dense = dense_masks(given.theta0, include_critic=job.imp.prune_critic)
        previous_masks, previous_weights = given.previous if given.previous is not None else (None, None)
        masks = masks_for_level(job.level, dense, previous_masks, previous_weights, job.imp)
        tickets.append(
            NetworkToTrain(run, TICKET, given.theta0, masks, given.theta0, given.observation_standardization)
        )
    baselines = []
    for condition in job.conditions:
        for ticket in tickets:
            run = ticket.run
            fresh = None
            if condition == "random_reinit":
                fresh = _fresh_init(job.task, job.settings, reinit_seed(run.seed, job.level))
            masks, init = baseline_start(condition, ticket.masks, ticket.theta0, fresh, run.seed, job.level)
            baselines.append(
                NetworkToTrain(run, condition, init, masks, ticket.theta0, ticket.observation_standardization)
            )
    return tickets + baselines


def _fresh_init(task: str, settings: TaskSettings, seed: int) -> Tensors:
    from ..core.ppo import initial_parameters

    return initial_parameters(task, settings, seed)


def train_networks(
    networks: Sequence[NetworkToTrain],
    settings: TaskSettings,
    datasets: dict[int, dict] | None = None,
    backend: str = "sb3",
) -> list[TrainedNetwork]:
    """Train every network of a level job. `backend`: `sb3` trains one after the other with stable-baselines3
    (`train_masked`); `batched` trains them all at once with `rltickets.engine`. `datasets`: the BC expert data
    per seed."""
    if backend == "batched":
        from ..engine.level import train_level_batched

        return [
            TrainedNetwork(network, weights, metrics)
            for network, (weights, metrics) in zip(
                networks, train_level_batched(networks, settings, datasets), strict=True
            )
        ]
    if backend != "sb3":
        raise ValueError(f"unknown training backend {backend!r}; expected 'sb3' or 'batched'")
    trained = []
    for network in networks:
        dataset = datasets[network.run.seed] if network.run.paradigm == "bc" else None
        weights, metrics = train_masked(
            network.run, settings, network.init, network.masks, dataset, network.observation_standardization
        )
        trained.append(TrainedNetwork(network, weights, metrics))
    return trained


def level_metrics(trained: TrainedNetwork, imp: ImpSettings) -> dict[str, Any]:
    """A level folder's metrics.json (without the config and versions the job adds): the run's identity and mask
    report, then the training metrics; baselines also name their condition."""
    network = trained.network
    identity = run_identity(network.run, network.masks, network.theta0)
    if network.observation_standardization is not None:
        identity["observation_standardization"] = network.observation_standardization.describe()
    if network.condition == TICKET:
        return {**identity, **trained.metrics}
    return {"condition": network.condition, "prune_critic": imp.prune_critic, **identity, **trained.metrics}


def run_level_job(job: LevelJob, inputs: Sequence[SeedInputs]) -> list[TrainedNetwork]:
    """One level of a chain for all the job's seeds (tickets first, then baselines by condition and seed)."""
    datasets = None
    if job.paradigm == "bc":
        datasets = {seed: given.dataset for seed, given in zip(job.seeds, inputs, strict=True)}
    return train_networks(level_networks(job, inputs), job.settings, datasets, job.imp.backend)


def run_level(
    run: LevelId,
    settings: TaskSettings,
    imp: ImpSettings,
    theta0: Tensors,
    previous: tuple[Tensors, Tensors] | None = None,
    dataset: dict | None = None,
    observation_standardization: ObservationStandardization | None = None,
) -> tuple[Tensors, Tensors, dict[str, Any]]:
    """The ticket of one seed at one level (a level job of one seed, no baselines); `previous` = (masks, trained
    weights) of level k-1 (None at level 0). Returns (masks, trained policy state_dict, metrics)."""
    job = LevelJob(run.paradigm, run.task, run.level, (run.seed,), settings, imp)
    (trained,) = run_level_job(job, [SeedInputs(theta0, previous, dataset, observation_standardization)])
    return trained.network.masks, trained.weights, level_metrics(trained, imp)
