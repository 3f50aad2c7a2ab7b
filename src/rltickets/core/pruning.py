"""Iterative magnitude pruning: the one function that turns level k-1 into level k's mask, plus sparsity stats."""

from __future__ import annotations

import math

import torch


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
