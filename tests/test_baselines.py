"""The three disentangling baselines: what each keeps of the ticket, what it destroys, and reproducibility."""

import dataclasses

import pytest
import torch

from rltickets.baselines.transforms import (
    CONDITIONS,
    baseline_start,
    condition_generator,
    mask_permuted,
    permuted_permuted,
    random_reinit_start,
    reinit_seed,
)
from rltickets.core.masking import dense_masks
from rltickets.core.ppo import initial_parameters
from rltickets.core.pruning import prune_global_magnitude
from rltickets.imp.level import TICKET, LevelJob, SeedInputs, level_metrics, run_level_job
from rltickets.infra.settings import ImpSettings, PpoBudget


@pytest.fixture(scope="module")
def ticket(tiny_settings_module):
    """θ0 of CartPole and a level-3 ticket mask pruned from perturbed weights (a realistic, uneven mask)."""
    theta0 = initial_parameters("CartPole-v1", tiny_settings_module, 0)
    masks = dense_masks(theta0)
    weights = {
        k: v + 0.05 * torch.randn(v.shape, generator=torch.Generator().manual_seed(1)) for k, v in theta0.items()
    }
    for _ in range(3):
        masks = prune_global_magnitude(weights, masks, 0.2)
    fresh = initial_parameters("CartPole-v1", tiny_settings_module, 99)
    return theta0, masks, fresh


@pytest.fixture(scope="module")
def tiny_settings_module():
    from conftest import ci_task_settings

    return ci_task_settings("CartPole-v1")


def kept_values(weights, mask):
    return torch.sort(weights[mask])[0]


def test_mask_permuted_keeps_mask_and_each_layers_values(ticket):
    theta0, masks, _ = ticket
    new_masks, init = mask_permuted(masks, theta0, condition_generator(0, 3, "mask_permuted"))
    moved = 0
    for name, mask in masks.items():
        assert torch.equal(new_masks[name], mask)
        assert torch.equal(kept_values(init[name], mask), kept_values(theta0[name], mask))
        moved += int((init[name][mask] != theta0[name][mask]).sum())
    assert moved > 0.9 * sum(int(m.sum()) for m in masks.values())  # values really trade places
    for name in theta0:
        if name not in masks:  # biases, critic, log_std: exactly θ0
            assert torch.equal(init[name], theta0[name])


def test_permuted_permuted_keeps_layer_counts_and_values_but_moves_the_mask(ticket):
    theta0, masks, _ = ticket
    new_masks, init = permuted_permuted(masks, theta0, condition_generator(0, 3, "permuted_permuted"))
    for name, mask in masks.items():
        assert new_masks[name].dtype == torch.bool and new_masks[name].shape == mask.shape
        assert int(new_masks[name].sum()) == int(mask.sum())
        assert not torch.equal(new_masks[name], mask)
        assert torch.equal(kept_values(init[name], new_masks[name]), kept_values(theta0[name], mask))
    for name in theta0:
        if name not in masks:
            assert torch.equal(init[name], theta0[name])


def test_random_reinit_keeps_only_the_global_count_on_a_fresh_actor(ticket):
    theta0, masks, fresh = ticket
    new_masks, init = random_reinit_start(masks, theta0, fresh, condition_generator(0, 3, "random_reinit"))
    assert sum(int(m.sum()) for m in new_masks.values()) == sum(int(m.sum()) for m in masks.values())
    ticket_ratios = [float(m.float().mean()) for m in masks.values()]
    random_ratios = [float(m.float().mean()) for m in new_masks.values()]
    assert max(random_ratios) - min(random_ratios) < max(ticket_ratios) - min(ticket_ratios)  # ratios equalise
    # Only the actor is new (its weight matrices and their biases); the critic and everything else are θ0's, as in
    # every other condition (before: the whole network, critic included, came from the fresh init).
    actor = [n for n in theta0 if n.startswith(("mlp_extractor.policy_net.", "action_net."))]
    assert len(actor) == 6
    for name in theta0:
        expected = fresh if name in actor else theta0
        assert torch.equal(init[name], expected[name]), name
    assert not torch.equal(init["action_net.weight"], theta0["action_net.weight"])
    assert torch.equal(init["mlp_extractor.value_net.0.weight"], theta0["mlp_extractor.value_net.0.weight"])


def test_random_reinit_draws_a_fresh_init_per_seed_and_level():
    seeds = {(s, k): reinit_seed(s, k) for s in range(3) for k in range(1, 21)}
    assert len(set(seeds.values())) == len(seeds)  # no two levels (or seeds) share a fresh init
    assert reinit_seed(2, 7) == reinit_seed(2, 7) and all(0 <= v < 2**32 for v in seeds.values())


def test_random_reinit_of_a_gaussian_policy_keeps_theta0s_log_std(tiny_settings_module):
    from conftest import ci_task_settings

    settings = ci_task_settings("Pendulum-v1")
    theta0 = initial_parameters("Pendulum-v1", settings, 0)
    theta0["log_std"] = theta0["log_std"] + 0.5  # distinguishable from a fresh init's zeros
    fresh = initial_parameters("Pendulum-v1", settings, reinit_seed(0, 2))
    masks = dense_masks(theta0)
    _, init = baseline_start("random_reinit", masks, theta0, fresh, seed=0, level=2)
    assert torch.equal(init["log_std"], theta0["log_std"])
    assert torch.equal(init["action_net.bias"], fresh["action_net.bias"])
    assert torch.equal(init["value_net.weight"], theta0["value_net.weight"])


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_baseline_is_reproducible_and_seed_dependent(ticket, condition):
    theta0, masks, fresh = ticket
    first = baseline_start(condition, masks, theta0, fresh, seed=0, level=3)
    again = baseline_start(condition, masks, theta0, fresh, seed=0, level=3)
    other = baseline_start(condition, masks, theta0, fresh, seed=1, level=3)
    for a, b in zip(first, again, strict=True):
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(first[1][k], other[1][k]) for k in masks) or any(
        not torch.equal(first[0][k], other[0][k]) for k in masks
    )


def test_unknown_condition_is_refused():
    with pytest.raises(ValueError, match="unknown baseline 'shuffled'"):
        condition_generator(0, 1, "shuffled")


def test_level_job_trains_baselines_under_their_own_masks(ticket, tiny_settings_module):
    """A level job derives each baseline from the seed's new ticket mask and trains it like the ticket."""
    theta0, masks, _ = ticket
    settings = dataclasses.replace(
        tiny_settings_module, rl=PpoBudget(total_timesteps=512, eval_every_steps=256, eval_episodes=2)
    )
    imp_settings = ImpSettings(prune_critic=False, prune_fraction=0.2, rewind="init", output_layer="prune")
    job = LevelJob("rl", "CartPole-v1", 4, (0,), settings, imp_settings, ("permuted_permuted",))
    trained = run_level_job(job, [SeedInputs(theta0, (masks, theta0))])
    assert [t.network.condition for t in trained] == [TICKET, "permuted_permuted"]
    ticket_run, baseline = trained
    for name, mask in baseline.network.masks.items():
        assert torch.all(baseline.weights[name][~mask] == 0)  # pruned stays pruned through training
        assert int(mask.sum()) == int(ticket_run.network.masks[name].sum())  # the ticket's layer-wise counts
    metrics = level_metrics(baseline, imp_settings)
    assert metrics["condition"] == "permuted_permuted" and metrics["level"] == 4
    assert metrics["fraction_remaining"] == pytest.approx(0.8**4, abs=0.01)
    assert len(metrics["history"]) >= 2
    assert "condition" not in level_metrics(ticket_run, imp_settings)
