"""StackedPolicy: forward parity with SB3's MlpPolicy (dense and masked), state_dict round trip into SB3, per-network
sampling streams, per-network gradient clipping as torch's clip_grad_norm_ on one SB3 policy."""

import pytest
import torch
from conftest import ci_task_settings

from rltickets.core.masking import dense_masks, mask_sb3_model
from rltickets.core.ppo import make_ppo
from rltickets.core.pruning import prune_global_magnitude
from rltickets.engine.policy import StackedPolicy

TASKS = ["CartPole-v1", "Pendulum-v1"]


def sb3_policies(task, seeds):
    settings = ci_task_settings(task)
    return [make_ppo(task, settings, seed).policy for seed in seeds], settings


def magnitude_masks(state, keep):
    return prune_global_magnitude(state, dense_masks(state), 1 - keep)


@pytest.fixture(scope="module", params=TASKS)
def task_and_policies(request):
    policies, settings = sb3_policies(request.param, [0, 1, 2])
    return request.param, policies, settings


def test_forward_matches_sb3_dense_and_masked(task_and_policies):
    task, policies, settings = task_and_policies
    states = [{k: v.clone() for k, v in p.state_dict().items()} for p in policies]
    if "log_std" in states[1]:
        states[1]["log_std"] = torch.full_like(states[1]["log_std"], -0.7)  # a non-default std must be used too
        policies[1].load_state_dict(states[1])
    masks = [None, magnitude_masks(states[1], 0.3), magnitude_masks(states[2], 0.05)]
    for policy, mask in zip(policies, masks, strict=True):
        if mask is not None:
            mask_sb3_model(type("Model", (), {"policy": policy})(), mask)
    stacked = StackedPolicy.from_state_dicts(states, masks, settings.network.activation)
    obs = torch.randn(3, 7, policies[0].observation_space.shape[0])
    with torch.no_grad():
        actor_out, values = stacked(obs)
        actions = torch.stack([policy.get_distribution(obs[n]).get_actions() for n, policy in enumerate(policies)])
        log_prob, entropy = stacked.log_prob_entropy(actor_out, actions)
        for n, policy in enumerate(policies):
            dist = policy.get_distribution(obs[n]).distribution
            expected = dist.mean if stacked.continuous else dist.logits
            mine = actor_out[n] if stacked.continuous else torch.log_softmax(actor_out[n], -1)
            torch.testing.assert_close(mine, expected, rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(values[n], policy.predict_values(obs[n]).flatten(), rtol=1e-5, atol=1e-6)
            _, sb3_log_prob, sb3_entropy = policy.evaluate_actions(obs[n], actions[n])
            torch.testing.assert_close(log_prob[n], sb3_log_prob, rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(entropy[n], sb3_entropy.expand_as(entropy[n]), rtol=1e-5, atol=1e-5)
            deterministic = policy._predict(obs[n], deterministic=True)
            torch.testing.assert_close(stacked.deterministic(actor_out)[n], deterministic)


def test_state_dict_round_trip_loads_into_sb3(task_and_policies, tmp_path):
    task, policies, settings = task_and_policies
    states = [p.state_dict() for p in policies]
    masks = [magnitude_masks(states[0], 0.2), None, None]
    stacked = StackedPolicy.from_state_dicts(states, masks, settings.network.activation)
    for n, state in enumerate(states):
        exported = stacked.state_dict_of(n)
        assert list(exported) == list(state)
        path = tmp_path / f"net{n}.pt"
        torch.save(exported, path)
        fresh = make_ppo(task, settings, 99).policy
        fresh.load_state_dict(torch.load(path, weights_only=True))
        for name, value in fresh.state_dict().items():
            assert value.dtype == torch.float32 and value.shape == state[name].shape
            expected = state[name] * masks[n][name] if masks[n] is not None and name in masks[n] else state[name]
            assert torch.equal(value, expected), name
    assert all(torch.equal(m, masks[0][k]) for k, m in stacked.masks_of(0).items())
    assert stacked.masks_of(0).keys() == masks[0].keys()


def test_select_copies_networks_bit_for_bit(task_and_policies):
    """A policy of some rows of a batch (what a BC batch keeps when students stop) holds exactly their weights and
    masks and computes exactly their outputs."""
    task, policies, _ = task_and_policies
    states = [p.state_dict() for p in policies]
    stacked = StackedPolicy.from_state_dicts(states, [None, magnitude_masks(states[1], 0.3), None])
    subset = stacked.select([2, 1])
    assert subset.num_networks == 2 and subset.masked_weights == stacked.masked_weights
    for row, n in enumerate([2, 1]):
        assert all(torch.equal(subset.state_dict_of(row)[k], v) for k, v in stacked.state_dict_of(n).items())
        assert all(torch.equal(subset.masks_of(row)[k], v) for k, v in stacked.masks_of(n).items())
    obs = torch.randn(3, 7, states[0]["mlp_extractor.policy_net.0.weight"].shape[1])
    with torch.no_grad():
        assert torch.equal(subset.actor(obs[[2, 1]]), stacked.actor(obs)[[2, 1]])


def test_sampling_uses_only_each_networks_generator():
    policies, settings = sb3_policies("CartPole-v1", [0, 1, 2])
    states = [p.state_dict() for p in policies]
    obs = torch.randn(3, 5000, 4)
    together = StackedPolicy.from_state_dicts(states, activation=settings.network.activation)
    alone = StackedPolicy.from_state_dicts(states[1:2], activation=settings.network.activation)
    with torch.no_grad():
        actor_out = together.actor(obs)
        batch = together.sample(actor_out, [torch.Generator().manual_seed(s) for s in (5, 6, 7)])
        single = alone.sample(alone.actor(obs[1:2]), [torch.Generator().manual_seed(6)])
    assert torch.equal(batch[1], single[0])
    # The sampled actions follow the policy's probabilities (on average over the observations).
    probs = torch.softmax(actor_out, -1)[..., 1].mean(1)
    frequency = batch.float().mean(1)
    assert torch.allclose(frequency, probs, atol=0.02), (frequency, probs)


def test_gaussian_sampling_has_the_policy_std():
    policies, settings = sb3_policies("Pendulum-v1", [0, 1])
    states = [{k: v.clone() for k, v in p.state_dict().items()} for p in policies]
    states[1]["log_std"] = torch.tensor([-1.0])
    stacked = StackedPolicy.from_state_dicts(states, activation=settings.network.activation)
    obs = torch.randn(1, 1, 3).expand(2, 20000, 3)
    with torch.no_grad():
        actor_out = stacked.actor(obs)
        actions = stacked.sample(actor_out, [torch.Generator().manual_seed(s) for s in (0, 1)])
    std = (actions - actor_out).std(1).squeeze(-1)
    torch.testing.assert_close(std, torch.tensor([1.0, torch.e**-1]), rtol=0.03, atol=0)


def test_per_network_gradient_clipping_matches_sb3():
    policies, settings = sb3_policies("CartPole-v1", [3, 4])
    states = [p.state_dict() for p in policies]
    masks = [magnitude_masks(states[0], 0.1), None]
    for policy, mask in zip(policies, masks, strict=True):
        if mask is not None:
            mask_sb3_model(type("Model", (), {"policy": policy})(), mask)
    stacked = StackedPolicy.from_state_dicts(states, masks, settings.network.activation)
    obs, actions = torch.randn(2, 64, 4) * 3, torch.randint(0, 2, (2, 64))
    actor_out, values = stacked(obs)
    log_prob, _ = stacked.log_prob_entropy(actor_out, actions)
    ((log_prob * 40).mean(1) + values.pow(2).mean(1) * 30).sum().backward()
    stacked.clip_grad_norm_(0.5)
    for n, policy in enumerate(policies):
        value, log_prob_sb3, _ = policy.evaluate_actions(obs[n], actions[n])
        ((log_prob_sb3 * 40).mean() + value.flatten().pow(2).mean() * 30).backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 0.5)
        for name, param in policy.named_parameters():
            grad = stacked.param(name).grad[n]
            grad = grad.T if name.endswith(".weight") else grad.squeeze(0)
            torch.testing.assert_close(grad, param.grad, rtol=1e-4, atol=1e-6)
        if masks[n] is not None:
            for name, mask in masks[n].items():
                assert torch.all(stacked.param(name).grad[n].T[~mask] == 0)
