"""Masking invariants under real SB3 updates: pruned weights are 0 in every forward pass and after every
optimizer step, their gradients are 0 before clipping, and the DQN target network is masked too."""

import torch
from stable_baselines3 import DQN

from rltickets.core.masking import dense_masks, mask_sb3_model, prunable_weight_names
from rltickets.core.ppo import make_ppo
from rltickets.core.pruning import prune_global_magnitude


def half_masks(policy, include_critic=False):
    """A non-trivial mask: prune 50% globally by magnitude of the initial weights."""
    masks = dense_masks(policy, include_critic)
    return prune_global_magnitude(dict(policy.state_dict()), masks, 0.5)


def forward_checker(model_root, masks, violations):
    """Pre-forward hooks that record any pruned weight that is not exactly 0 when its layer runs."""
    params = dict(model_root.named_parameters())
    handles = []
    for name, mask in masks.items():
        module = model_root.get_submodule(name.rsplit(".", 1)[0])

        def hook(_module, _inputs, name=name, mask=mask):
            if torch.any(params[name].detach()[~mask] != 0):
                violations.append(name)

        handles.append(module.register_forward_pre_hook(hook))
    return handles


def test_prunable_names_exclude_critic_and_biases(tiny_settings):
    policy = make_ppo("CartPole-v1", tiny_settings, 0).policy
    names = prunable_weight_names(policy)
    assert names == ["mlp_extractor.policy_net.0.weight", "mlp_extractor.policy_net.2.weight", "action_net.weight"]
    assert prunable_weight_names(dict(policy.state_dict())) == names, "θ0 on disk gives the same names"
    with_critic = prunable_weight_names(policy, include_critic=True)
    assert "value_net.weight" in with_critic and "mlp_extractor.value_net.0.weight" in with_critic


def test_ppo_update_keeps_pruned_weights_zero(tiny_settings):
    model = make_ppo("CartPole-v1", tiny_settings, 0)
    masks = half_masks(model.policy)
    before = {k: v.clone() for k, v in model.policy.state_dict().items()}
    mask_sb3_model(model, masks)
    violations, grad_violations, steps = [], [], []
    forward_checker(model.policy, masks, violations)
    params = dict(model.policy.named_parameters())
    # Check gradients right before the optimizer step, i.e. after PPO's clip_grad_norm_.
    model.policy.optimizer.register_step_pre_hook(
        lambda *_: grad_violations.extend(n for n, m in masks.items() if torch.any(params[n].grad[~m] != 0))
    )
    model.policy.optimizer.register_step_post_hook(lambda *_: steps.append(1))
    model.learn(512)
    assert len(steps) > 10, "PPO must really have stepped the optimizer"
    assert not violations and not grad_violations
    after = model.policy.state_dict()
    for name, mask in masks.items():
        assert torch.all(after[name][~mask] == 0)
        assert not torch.equal(after[name][mask], before[name][mask]), f"{name} survivors must train"
    assert not torch.equal(after["value_net.weight"], before["value_net.weight"]), "critic trains densely"


def test_dqn_update_masks_online_and_target_network():
    model = DQN(
        "MlpPolicy",
        "CartPole-v1",
        learning_starts=50,
        train_freq=1,
        target_update_interval=20,
        buffer_size=1000,
        batch_size=16,
        seed=0,
        device="cpu",
        policy_kwargs=dict(net_arch=[32, 32]),
    )
    masks = half_masks(model.policy)
    assert all(n.startswith("q_net.") for n in masks)
    mask_sb3_model(model, masks)
    violations = []
    forward_checker(model.policy, masks, violations)
    target_masks = {"q_net_target." + n[len("q_net.") :]: m for n, m in masks.items()}
    forward_checker(model.policy, target_masks, violations)
    model.learn(400)
    state = model.policy.state_dict()
    assert not violations
    for name, mask in {**masks, **target_masks}.items():
        assert torch.all(state[name][~mask] == 0), name
    # The target was synced from the online net, so its survivors are trained values, not the init.
    assert torch.equal(state["q_net_target.q_net.0.weight"] != 0, state["q_net.q_net.0.weight"] != 0)


def test_loading_weights_reapplies_the_mask(tiny_settings):
    model = make_ppo("CartPole-v1", tiny_settings, 0)
    masks = half_masks(model.policy)
    dense_state = {k: torch.ones_like(v) for k, v in model.policy.state_dict().items()}
    mask_sb3_model(model, masks)
    model.policy.load_state_dict(dense_state)
    for name, mask in masks.items():
        assert torch.all(model.policy.state_dict()[name][~mask] == 0)
        assert torch.all(model.policy.state_dict()[name][mask] == 1)
