"""Global magnitude pruning: exact counts, global (not per-layer) ranking, biases and critic untouched,
and the rewind to θ0."""

import dataclasses
import math

import pytest
import torch

from rltickets.core.masking import dense_masks
from rltickets.core.ppo import initial_parameters, make_ppo, train_ppo
from rltickets.core.pruning import count_to_prune, fraction_remaining, input_unit_survival, prune_global_magnitude
from rltickets.imp.level import masks_for_level
from rltickets.infra.settings import PpoBudget


def test_each_level_prunes_exactly_20_percent_of_the_remaining_globally(tiny_settings):
    policy = make_ppo("CartPole-v1", tiny_settings, 0).policy
    weights = {k: v.clone() for k, v in policy.state_dict().items()}
    masks = dense_masks(policy)
    total = sum(m.numel() for m in masks.values())
    remaining = total
    generator = torch.Generator().manual_seed(0)
    for level in range(1, 21):
        # Pretend each level trained: fresh random weights, so the ranking changes between levels.
        weights = {k: torch.randn(v.shape, generator=generator) for k, v in weights.items()}
        new = prune_global_magnitude(weights, masks, 0.2)
        kept = sum(int(m.sum()) for m in new.values())
        assert remaining - kept == math.ceil(0.2 * remaining), f"level {level}"
        for name in masks:  # monotone: a pruned weight never comes back
            assert not torch.any(new[name] & ~masks[name])
        pruned_mags = torch.cat([weights[n][masks[n] & ~new[n]].abs() for n in masks])
        kept_mags = torch.cat([weights[n][new[n]].abs() for n in masks])
        assert pruned_mags.max() <= kept_mags.min(), "global ranking: every pruned |w| <= every kept |w|"
        masks, remaining = new, kept
    assert fraction_remaining(masks) == pytest.approx(0.8**20, rel=0.05)
    assert all(not name.endswith("bias") and "value" not in name for name in masks)


def test_ranking_is_global_not_per_layer():
    weights = {"a.weight": torch.full((4, 4), 10.0), "b.weight": torch.full((4, 4), 0.1)}
    masks = {k: torch.ones(4, 4, dtype=torch.bool) for k in weights}
    new = prune_global_magnitude(weights, masks, 0.25)
    assert int(new["a.weight"].sum()) == 16 and int(new["b.weight"].sum()) == 8


def test_prune_fraction_must_be_in_unit_interval():
    with pytest.raises(ValueError, match="prune fraction"):
        prune_global_magnitude({"w": torch.ones(2)}, {"w": torch.ones(2, dtype=torch.bool)}, 1.0)
    assert count_to_prune(10, 0.2) == 2 and count_to_prune(11, 0.2) == 3


def test_input_unit_survival_is_per_input_column():
    mask = torch.tensor([[1, 0, 1], [1, 0, 0]], dtype=torch.bool)
    assert input_unit_survival({"w": mask}, "w") == [1.0, 0.0, 0.5]


def test_rewind_restores_theta0_exactly_on_surviving_weights(tiny_settings):
    theta0 = initial_parameters("CartPole-v1", tiny_settings, 3)
    policy = make_ppo("CartPole-v1", tiny_settings, 3).policy
    trained = {k: v + torch.randn_like(v) for k, v in theta0.items()}
    masks = masks_for_level(1, dense_masks(policy), dense_masks(policy), trained, 0.2)
    # Learning rate 0: the real training path, but the weights must come out exactly as rewound.
    frozen = dataclasses.replace(tiny_settings, ppo={"learning_rate": 0.0})
    budget = PpoBudget(total_timesteps=256, eval_every_steps=256, eval_episodes=1)
    model, _ = train_ppo("CartPole-v1", frozen, 3, budget, theta0=theta0, masks=masks)
    state = model.policy.state_dict()
    for name, value in theta0.items():
        if name in masks:
            assert torch.equal(state[name][masks[name]], value[masks[name]])
            assert torch.all(state[name][~masks[name]] == 0)
        else:
            assert torch.equal(state[name], value), f"{name} (bias/critic) rewinds to θ0 unmasked"
