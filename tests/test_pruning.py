"""Global magnitude pruning: exact counts, global (not per-layer) ranking, biases and critic untouched, the rewind
to θ0, the output-layer rules (prune / keep / floor) and the disconnected flag."""

import dataclasses
import math

import pytest
import torch

from rltickets.core.masking import dense_masks
from rltickets.core.ppo import initial_parameters, make_ppo, train_ppo
from rltickets.core.pruning import (
    connectivity,
    count_to_prune,
    fraction_remaining,
    input_unit_survival,
    layer_order,
    output_layer_name,
    prune_global_magnitude,
    prune_level,
)
from rltickets.imp.level import level_report, masks_for_level
from rltickets.infra.settings import ImpSettings, PpoBudget


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


# ---- The output-layer rule (imp.output_layer, imp.layer_floor) and the disconnected flag ----
def chain_masks(widths=(4, 6, 6, 2)):
    """Dense masks of an SB3-named actor 4-6-6-2 (in name order, as older mask files hold them)."""
    names = ["mlp_extractor.policy_net.0.weight", "mlp_extractor.policy_net.2.weight", "action_net.weight"]
    shapes = [(widths[i + 1], widths[i]) for i in range(3)]
    return {n: torch.ones(s, dtype=torch.bool) for n, s in sorted(zip(names, shapes, strict=True))}


def small_output_weights(masks, seed=0):
    """Weights whose output layer is 100x smaller than the rest: one global threshold prunes it first."""
    generator = torch.Generator().manual_seed(seed)
    weights = {n: torch.randn(m.shape, generator=generator) for n, m in masks.items()}
    weights["action_net.weight"] *= 0.01
    return weights


def test_layer_order_puts_the_actor_head_last_and_numbers_in_numeric_order():
    names = ["action_net.weight", "mlp_extractor.policy_net.10.weight", "mlp_extractor.policy_net.2.weight"]
    names += ["value_net.weight", "mlp_extractor.value_net.0.weight"]
    assert layer_order(names) == [
        "mlp_extractor.policy_net.2.weight",
        "mlp_extractor.policy_net.10.weight",
        "action_net.weight",
        "mlp_extractor.value_net.0.weight",
        "value_net.weight",
    ]
    assert output_layer_name({n: torch.ones(1, 1) for n in names}) == "action_net.weight"
    assert layer_order(["4.weight", "0.weight", "2.weight"]) == ["0.weight", "2.weight", "4.weight"]  # supervised


def test_prune_rule_is_the_plain_global_rule():
    masks = chain_masks()
    weights = small_output_weights(masks)
    for _ in range(3):
        new = prune_level(weights, masks, 0.4, "prune")
        assert all(torch.equal(new[n], m) for n, m in prune_global_magnitude(weights, masks, 0.4).items())
        masks = new
    assert int(masks["action_net.weight"].sum()) == 0  # the tiny output layer went first: a constant policy


def test_keep_rule_never_prunes_the_output_layer():
    masks = chain_masks()
    weights = small_output_weights(masks)
    others = sum(m.numel() for n, m in masks.items() if n != "action_net.weight")
    new = prune_level(weights, masks, 0.4, "keep")
    assert bool(new["action_net.weight"].all())
    kept = sum(int(m.sum()) for n, m in new.items() if n != "action_net.weight")
    assert others - kept == math.ceil(0.4 * others)  # the fraction is taken from the other layers
    assert list(new) == layer_order(masks)  # masks come back in layer order


def test_floor_rule_equals_prune_until_a_layer_would_drop_below_the_floor():
    masks = chain_masks()
    weights = small_output_weights(masks)
    plain = prune_global_magnitude(weights, masks, 0.1)
    assert int(plain["action_net.weight"].sum()) > 3  # the floor does not bind yet
    floored = prune_level(weights, masks, 0.1, "floor", layer_floor=3)
    assert all(torch.equal(floored[n], plain[n]) for n in masks)
    # Deep enough that the global rule empties the output layer: the floor keeps its 3 largest weights, and the
    # level still removes exactly ceil(0.4 * remaining) weights (the floor's weights come out of the others).
    for _ in range(4):
        remaining = sum(int(m.sum()) for m in masks.values())
        new = prune_level(weights, masks, 0.4, "floor", layer_floor=3)
        assert remaining - sum(int(m.sum()) for m in new.values()) == math.ceil(0.4 * remaining)
        masks = new
    head = masks["action_net.weight"]
    assert int(head.sum()) == 3
    top3 = weights["action_net.weight"].abs().flatten().topk(3).indices
    assert bool(head.flatten()[top3].all())


def test_floor_wins_over_the_schedule_when_the_floors_alone_exceed_the_count():
    masks = {"a.weight": torch.ones(2, 2, dtype=torch.bool), "b.weight": torch.ones(1, 2, dtype=torch.bool)}
    weights = {"a.weight": torch.tensor([[4.0, 3.0], [2.0, 1.0]]), "b.weight": torch.tensor([[0.1, 0.2]])}
    new = prune_level(weights, masks, 0.9, "floor", layer_floor=2)
    # ceil(0.9 * 6) = 6 to prune, but each layer keeps its 2 largest: 4 weights stay (more than the schedule).
    assert new["a.weight"].tolist() == [[True, True], [False, False]] and bool(new["b.weight"].all())
    with pytest.raises(ValueError, match="output-layer rule"):
        prune_level(weights, masks, 0.5, "drop")
    with pytest.raises(ValueError, match="layer_floor"):
        prune_level(weights, masks, 0.5, "floor", layer_floor=0)


def test_connectivity_of_dense_empty_and_pathless_masks():
    masks = chain_masks()
    dense = connectivity(masks)
    assert dense == {"empty_layers": [], "inputs_connected": 4, "outputs_reached": 2, "disconnected": False}
    empty = {**masks, "action_net.weight": torch.zeros(2, 6, dtype=torch.bool)}
    report = connectivity(empty)
    assert report["disconnected"] and report["empty_layers"] == ["action_net.weight"]
    assert report["outputs_reached"] == 0 and report["inputs_connected"] == 0
    # Every layer keeps a weight, but they do not line up: input 0 -> h1 unit 0, h1 unit 1 -> h2 unit 0,
    # h2 unit 1 -> output 0. No input reaches an output.
    pathless = {n: torch.zeros_like(m) for n, m in masks.items()}
    pathless["mlp_extractor.policy_net.0.weight"][0, 0] = True
    pathless["mlp_extractor.policy_net.2.weight"][0, 1] = True
    pathless["action_net.weight"][0, 1] = True
    report = connectivity(pathless)
    assert report["empty_layers"] == [] and report["disconnected"] and report["outputs_reached"] == 0
    pathless["mlp_extractor.policy_net.2.weight"][1, 0] = True  # h1 unit 0 -> h2 unit 1: a path from input 0
    report = connectivity(pathless)
    assert not report["disconnected"] and report["inputs_connected"] == 1 and report["outputs_reached"] == 1
    with pytest.raises(ValueError, match="do not chain"):
        connectivity({"0.weight": torch.ones(3, 4, dtype=torch.bool), "2.weight": torch.ones(2, 5, dtype=torch.bool)})


def test_an_empty_critic_layer_counts_but_the_critic_is_no_path():
    masks = chain_masks()
    masks["mlp_extractor.value_net.0.weight"] = torch.zeros(6, 4, dtype=torch.bool)
    report = connectivity(masks)
    assert report["disconnected"] and report["empty_layers"] == ["mlp_extractor.value_net.0.weight"]
    assert report["outputs_reached"] == 2


def test_masks_for_level_applies_the_imp_settings_rule_and_level_report_flags_disconnection():
    masks = chain_masks()
    weights = small_output_weights(masks)
    floor = ImpSettings(prune_fraction=0.6, prune_critic=False, rewind="init", output_layer="floor", layer_floor=1)
    prune = dataclasses.replace(floor, output_layer="prune")
    floored, plain = masks, masks
    for level in range(1, 4):
        floored = masks_for_level(level, masks, floored, weights, floor)
        plain = masks_for_level(level, masks, plain, weights, prune)
    assert int(floored["action_net.weight"].sum()) == 1 and int(plain["action_net.weight"].sum()) == 0
    bare = masks_for_level(1, masks, masks, weights, 0.6)  # a bare fraction: the plain global rule
    assert all(torch.equal(bare[n], prune_global_magnitude(weights, masks, 0.6)[n]) for n in masks)
    report = level_report(plain, "mlp_extractor.policy_net.0.weight")
    assert report["disconnected"] and report["empty_layers"] == ["action_net.weight"]
    assert report["output_layer"] == "action_net.weight"
    assert level_report(masks, "mlp_extractor.policy_net.0.weight")["disconnected"] is False
