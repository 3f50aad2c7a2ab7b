"""Iterative magnitude pruning: the function that turns level k-1 into level k's mask (`prune_level`, with the
output-layer rule of `imp.output_layer`), the plain global rule (`prune_global_magnitude`, also the Early-Bird
DQN's one-shot pruning), sparsity statistics and the structural connectivity of a mask (`connectivity`)."""

from __future__ import annotations

import math
import re

import torch

# imp.output_layer (docs/protocol.md §1.3): how the actor's last weight matrix is treated by IMP.
OUTPUT_LAYER_RULES = ("prune", "keep", "floor")
# The PPO critic's weights; never part of the actor's input-to-output chain.
CRITIC_PREFIXES = ("mlp_extractor.value_net.", "value_net.")
# SB3's actor head comes after `mlp_extractor.policy_net` in the forward pass (it sorts before it by name).
HEAD_PREFIXES = ("action_net.",)


def count_to_prune(remaining: int, fraction: float) -> int:
    """Weights removed at one level: ceil(fraction * remaining), as in OpenLTH's sparse_global strategy."""
    return min(remaining, math.ceil(fraction * remaining))


def prune_global_magnitude(
    weights: dict[str, torch.Tensor], masks: dict[str, torch.Tensor], fraction: float
) -> dict[str, torch.Tensor]:
    """Remove the `fraction` of surviving weights with the smallest |w|, pooled over all masked matrices.

    Only names in `masks` are considered (biases and the critic never appear there). Ties are broken by a
    stable sort over the layers in sorted-name order, so the result is deterministic.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"prune fraction must be in (0, 1), got {fraction}")
    names = sorted(masks)
    flat_weights = torch.cat([weights[n].detach().reshape(-1).abs().float() for n in names])
    flat_masks = torch.cat([masks[n].reshape(-1).bool() for n in names])
    survivors = torch.nonzero(flat_masks).squeeze(1)
    k = count_to_prune(int(survivors.numel()), fraction)
    order = torch.argsort(flat_weights[survivors], stable=True)
    new_flat = flat_masks.clone()
    new_flat[survivors[order[:k]]] = False
    new_masks, offset = {}, 0
    for n in names:
        size = masks[n].numel()
        new_masks[n] = new_flat[offset : offset + size].reshape(masks[n].shape)
        offset += size
    return new_masks


def _natural_key(name: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def layer_order(names) -> list[str]:
    """The actor's weight matrices in forward order (input layer first, output layer last), then the critic's.

    Mask files hold their names in any order (older files are sorted by name, which puts `action_net` first), so
    the order is rebuilt from the names: numbered layers in numeric order (`policy_net.2` before `policy_net.10`),
    SB3's actor head `action_net` after them, critic weights (only present with `imp.prune_critic`) at the end.
    """
    names = list(names)
    critic = sorted((n for n in names if n.startswith(CRITIC_PREFIXES)), key=_natural_key)
    actor = [n for n in names if not n.startswith(CRITIC_PREFIXES)]
    actor.sort(key=lambda n: (n.startswith(HEAD_PREFIXES), _natural_key(n)))
    return actor + critic


def actor_layers(masks: dict[str, torch.Tensor]) -> list[str]:
    """The masked actor matrices in forward order; the last one is the output layer."""
    return [n for n in layer_order(masks) if not n.startswith(CRITIC_PREFIXES)]


def output_layer_name(masks: dict[str, torch.Tensor]) -> str:
    """The output layer: the last prunable weight matrix of the actor in layer order (e.g. `action_net.weight`)."""
    layers = actor_layers(masks)
    if not layers:
        raise ValueError(f"no actor weight matrix among the masks {sorted(masks)}")
    return layers[-1]


def prune_level(
    weights: dict[str, torch.Tensor],
    masks: dict[str, torch.Tensor],
    fraction: float,
    output_layer: str = "prune",
    layer_floor: int = 1,
) -> dict[str, torch.Tensor]:
    """One IMP step under the output-layer rule `output_layer` (config `imp.output_layer`, `imp.layer_floor`).

    * `prune`: `prune_global_magnitude`, the output layer competes under the one global threshold like every
      layer (it can lose all its weights: the policy is then a constant).
    * `keep`: the output layer is never pruned; `fraction` of the other layers' survivors is removed (so the whole
      network keeps a little more than (1 - fraction)^k).
    * `floor`: the global rule, except that no masked layer falls below `layer_floor` surviving weights (each
      layer keeps at least its `layer_floor` largest-magnitude survivors). The floor's weights are part of the
      level's count: while no layer is at its floor the masks are exactly those of `prune`, and only when the
      floors alone exceed the count does a level keep more than the schedule.

    Masks come back in layer order. Ties are broken as in `prune_global_magnitude` (stable, sorted names).
    """
    if output_layer not in OUTPUT_LAYER_RULES:
        raise ValueError(f"unknown output-layer rule {output_layer!r}; expected one of {', '.join(OUTPUT_LAYER_RULES)}")
    order = layer_order(masks)
    if output_layer == "prune":
        new = prune_global_magnitude(weights, masks, fraction)
    elif output_layer == "keep":
        head = output_layer_name(masks)
        new = prune_global_magnitude(weights, {n: m for n, m in masks.items() if n != head}, fraction)
        new[head] = masks[head].clone().bool()
    else:
        if int(layer_floor) < 1:
            raise ValueError(f"layer_floor must be an integer >= 1, got {layer_floor}")
        new = _prune_with_floor(weights, masks, fraction, int(layer_floor))
    return {n: new[n] for n in order}


def _prune_with_floor(weights, masks, fraction: float, floor: int) -> dict[str, torch.Tensor]:
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"prune fraction must be in (0, 1), got {fraction}")
    names = sorted(masks)
    flat_weights = torch.cat([weights[n].detach().reshape(-1).abs().float() for n in names])
    flat_masks = torch.cat([masks[n].reshape(-1).bool() for n in names])
    layer_of = torch.cat([torch.full((masks[n].numel(),), i) for i, n in enumerate(names)])
    survivors = torch.nonzero(flat_masks).squeeze(1)
    k = count_to_prune(int(survivors.numel()), fraction)
    order = survivors[torch.argsort(flat_weights[survivors], stable=True)]  # ascending |w|, global tie-break
    protected = torch.zeros_like(flat_masks)
    for i in range(len(names)):
        in_layer = order[layer_of[order] == i]
        if len(in_layer):
            protected[in_layer[-floor:]] = True  # the layer's largest survivors, ranked as the global order does
    candidates = order[~protected[order]]
    new_flat = flat_masks.clone()
    new_flat[candidates[:k]] = False
    new_masks, offset = {}, 0
    for n in names:
        size = masks[n].numel()
        new_masks[n] = new_flat[offset : offset + size].reshape(masks[n].shape)
        offset += size
    return new_masks


def connectivity(masks: dict[str, torch.Tensor]) -> dict[str, object]:
    """Whether any input still reaches an output through surviving weights (structure only, from the masks).

    Returns `empty_layers` (masked layers, actor or critic, with no surviving weight), `inputs_connected` (input
    units with a path to some output), `outputs_reached` (output units some input reaches), and `disconnected`:
    true when a masked layer is empty or no input reaches an output. Biases are not paths: a unit cut off from
    every input only adds a constant, so a disconnected actor computes a constant policy.
    """
    layers = actor_layers(masks)
    for previous, current in zip(layers, layers[1:], strict=False):
        if masks[current].shape[1] != masks[previous].shape[0]:
            raise ValueError(
                f"cannot follow paths from {previous} {tuple(masks[previous].shape)} into {current} "
                f"{tuple(masks[current].shape)}: the layers do not chain (out x in matrices in forward order)"
            )
    empty = [n for n in layer_order(masks) if not bool(masks[n].any())]
    forward = torch.ones(masks[layers[0]].shape[1])
    for name in layers:
        forward = (masks[name].float() @ forward > 0).float()
    backward = torch.ones(masks[layers[-1]].shape[0])
    for name in reversed(layers):
        backward = (masks[name].float().T @ backward > 0).float()
    outputs_reached, inputs_connected = int(forward.sum()), int(backward.sum())
    return {
        "empty_layers": empty,
        "inputs_connected": inputs_connected,
        "outputs_reached": outputs_reached,
        "disconnected": bool(empty) or outputs_reached == 0,
    }


def fraction_remaining(masks: dict[str, torch.Tensor]) -> float:
    total = sum(m.numel() for m in masks.values())
    return float(sum(int(m.sum()) for m in masks.values()) / total)


def layer_sparsity(masks: dict[str, torch.Tensor]) -> dict[str, dict[str, float]]:
    """Per matrix: shape, kept and total counts, fraction kept."""
    return {
        name: {
            "shape": list(mask.shape),
            "kept": int(mask.sum()),
            "total": int(mask.numel()),
            "fraction_kept": float(mask.float().mean()),
        }
        for name, mask in sorted(masks.items())
    }


def input_unit_survival(masks: dict[str, torch.Tensor], first_layer: str) -> list[float]:
    """Fraction of each input unit's first-layer weights that survive (Linear weight is out x in)."""
    return masks[first_layer].float().mean(dim=0).tolist()
