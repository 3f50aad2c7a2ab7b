"""Same config and seed -> the same numbers (one torch thread, seeded envs)."""

import torch

from rltickets.core.ppo import initial_parameters, train_ppo
from rltickets.infra.settings import PpoBudget


def test_same_seed_gives_identical_metrics_and_weights(tiny_settings):
    budget = PpoBudget(total_timesteps=512, eval_every_steps=256, eval_episodes=2)
    runs = [train_ppo("CartPole-v1", tiny_settings, 7, budget) for _ in range(2)]
    (m1, r1), (m2, r2) = runs
    assert r1["history"] == r2["history"]
    for key, value in m1.policy.state_dict().items():
        assert torch.equal(value, m2.policy.state_dict()[key])


def test_different_seeds_give_different_inits(tiny_settings):
    a = initial_parameters("CartPole-v1", tiny_settings, 0)
    b = initial_parameters("CartPole-v1", tiny_settings, 1)
    assert not torch.equal(a["mlp_extractor.policy_net.0.weight"], b["mlp_extractor.policy_net.0.weight"])
