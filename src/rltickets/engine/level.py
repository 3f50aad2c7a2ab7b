"""The batched backend of a level job (`imp.backend: batched`): every network of the job — all seeds' tickets and
baselines of one (paradigm, task, level) — trained at once, PPO (`engine.ppo`) or BC (`engine.bc`).

Each network's streams come from its seed (`stream_seed`, as the stable-baselines3 path seeds `make_ppo`), so its
numbers do not depend on which other networks share the batch (tests/test_engine_level.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..infra.settings import TaskSettings
from .policy import NetworkSpec, Tensors

if TYPE_CHECKING:
    from ..imp.level import NetworkToTrain


def train_level_batched(
    networks: Sequence[NetworkToTrain], settings: TaskSettings, datasets: dict[int, dict] | None = None
) -> list[tuple[Tensors, dict[str, Any]]]:
    """(trained SB3 state_dict, metrics) per network, in the order given. All networks share paradigm and task."""
    if not networks:
        return []
    kinds = {(n.run.paradigm, n.run.task) for n in networks}
    if len(kinds) != 1:
        raise ValueError(f"a batch trains one paradigm and task, got {sorted(kinds)}")
    ((paradigm, task),) = kinds
    specs = [
        NetworkSpec(n.init, n.masks, stream_seed=n.run.seed, observation_standardization=n.observation_standardization)
        for n in networks
    ]
    if paradigm == "rl":
        from .ppo import train_ppo_batched

        return train_ppo_batched(task, settings, settings.need("rl"), specs)
    from .bc import train_bc_batched

    if datasets is None:
        raise ValueError("the BC paradigm needs the expert dataset of every seed")
    policy, metrics = train_bc_batched(
        task, settings, specs, [datasets[n.run.seed] for n in networks], settings.need("bc")
    )
    return [(policy.state_dict_of(i), network_metrics) for i, network_metrics in enumerate(metrics)]
