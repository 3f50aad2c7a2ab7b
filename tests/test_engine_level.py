"""A level job on the batched backend: every seed's ticket and baselines in one batch, each network's numbers the
same as when its seed is trained in a job of its own, pruned weights staying zero, SB3-loadable weights."""

import dataclasses

import numpy as np
import pytest
import torch

from rltickets.bc.dataset import collect_expert_dataset
from rltickets.core.masking import dense_masks
from rltickets.core.ppo import initial_parameters, make_ppo
from rltickets.imp.level import TICKET, LevelJob, SeedInputs, level_metrics, run_level_job
from rltickets.infra import numerics
from rltickets.infra.compare import TIMING
from rltickets.infra.settings import ImpSettings, PpoBudget

IMP = ImpSettings(prune_fraction=0.5, prune_critic=False, rewind="init", backend="batched")
CONDITIONS = ["mask_permuted", "random_reinit"]


@pytest.fixture(scope="module")
def settings():
    from conftest import ci_task_settings

    base = ci_task_settings("CartPole-v1")
    return dataclasses.replace(
        base,
        rl=PpoBudget(total_timesteps=512, eval_every_steps=256, eval_episodes=2),
        bc=dataclasses.replace(base.need("bc"), epochs=3, eval_every_epochs=2, eval_episodes=2),
    )


def level_one_inputs(settings, seeds):
    """θ0 of each seed and a 'trained' level 0 (θ0 perturbed) to prune level 1 from."""
    theta0s = [initial_parameters("CartPole-v1", settings, seed) for seed in seeds]
    previous = []
    for seed, theta0 in zip(seeds, theta0s, strict=True):
        noise = torch.Generator().manual_seed(100 + seed)
        trained = {k: v + 0.05 * torch.randn(v.shape, generator=noise) for k, v in theta0.items()}
        previous.append((dense_masks(theta0), trained))
    return theta0s, previous


def by_key(trained):
    return {(t.network.condition, t.network.run.seed): t for t in trained}


@pytest.mark.parametrize("matmul", ["torch", "openblas"])
@pytest.mark.parametrize("paradigm", ["rl", "bc"])
def test_a_seed_in_a_batch_equals_the_seed_alone(settings, paradigm, matmul, monkeypatch):
    monkeypatch.setenv(numerics.ENGINE_MATMUL, matmul)  # engine.matmul: both backends keep seeds independent
    seeds = [0, 1]
    theta0s, previous = level_one_inputs(settings, seeds)
    datasets = None
    if paradigm == "bc":
        expert = make_ppo("CartPole-v1", settings, 0)
        datasets = {s: collect_expert_dataset(expert, "CartPole-v1", s, 300) for s in seeds}
    inputs = [
        SeedInputs(theta0, before, None if datasets is None else datasets[seed])
        for seed, theta0, before in zip(seeds, theta0s, previous, strict=True)
    ]
    together = run_level_job(
        LevelJob(paradigm, "CartPole-v1", 1, tuple(seeds), settings, IMP, tuple(CONDITIONS)), inputs
    )
    alone = run_level_job(LevelJob(paradigm, "CartPole-v1", 1, (1,), settings, IMP, tuple(CONDITIONS)), inputs[1:])
    assert len(together) == len(seeds) * (1 + len(CONDITIONS)) and len(alone) == 1 + len(CONDITIONS)
    batch = by_key(together)
    for key, single in by_key(alone).items():
        shared = batch[key]
        for name in single.weights:
            assert torch.equal(single.weights[name], shared.weights[name]), (key, name)
        a, b = ({k: v for k, v in level_metrics(t, IMP).items() if not TIMING.search(k)} for t in (single, shared))
        assert a == b, key
    for network in together:
        for name, mask in network.network.masks.items():
            assert torch.all(network.weights[name][~mask] == 0), (network.network.condition, name)
    # weights.pt stays an SB3 MlpPolicy state_dict
    policy = make_ppo("CartPole-v1", settings, 0).policy
    policy.load_state_dict(by_key(together)[TICKET, 0].weights)
    assert np.isfinite(level_metrics(together[0], IMP)["best_return"])
