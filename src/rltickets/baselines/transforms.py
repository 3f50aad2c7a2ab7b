"""Disentangling baselines (docs/protocol.md §1.4): how much of a ticket's performance is due to its mask, to the
init values it keeps, and to its layer-wise sparsity?

At level k the ticket is `m ⊙ θ0` (condition `mask_weights`). Each baseline starts from the same ticket mask
`m` and is trained exactly like the ticket (same budget, same code path, `rltickets.imp.level.train_masked`):

* `mask_permuted`      m ⊙ W'    same mask; in each layer the surviving θ0 values are shuffled among the kept
                                 positions (keeps the mask and each layer's multiset of values).
* `permuted_permuted`  m' ⊙ W'   in each layer a new random mask with the same number of kept weights, and that
                                 layer's surviving θ0 values shuffled into it (keeps only the layer-wise counts).
* `random_reinit`      m~ ⊙ W~   a random mask with the same *global* count over all prunable layers pooled
                                 (layer ratios not kept) on a fresh init.

Biases and the other unprunable parameters (the PPO critic, log_std) follow the ticket: never pruned, taken
from θ0 — or from the fresh init for `random_reinit`, whose whole network is new.

Every transform is a pure function of (masks, θ0 or fresh init, torch.Generator): the generator is seeded from
(seed, level, condition), so a rerun gives the same baseline.
"""

from __future__ import annotations

import numpy as np
import torch

TICKET = "mask_weights"
CONDITIONS = ("mask_permuted", "permuted_permuted", "random_reinit")
# Fresh inits of random_reinit come from seeds far from the θ0 seeds.
REINIT_SEED_OFFSET = 3_000_017

Tensors = dict[str, torch.Tensor]


def condition_generator(seed: int, level: int, condition: str) -> torch.Generator:
    """A generator that depends on (seed, level, condition) only, so each baseline is reproducible on its own."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown baseline {condition!r}; expected one of {', '.join(CONDITIONS)}")
    entropy = np.random.SeedSequence([seed, level, CONDITIONS.index(condition)]).generate_state(2, dtype=np.uint32)
    return torch.Generator().manual_seed(int(entropy[0]) << 32 | int(entropy[1]))


def _kept_indices(mask: torch.Tensor) -> torch.Tensor:
    return mask.flatten().nonzero().squeeze(1)


def mask_permuted(masks: Tensors, theta0: Tensors, generator: torch.Generator) -> tuple[Tensors, Tensors]:
    """m ⊙ W': same mask; within each layer, the surviving θ0 values trade places among the kept positions."""
    init = {name: value.clone() for name, value in theta0.items()}
    for name, mask in masks.items():
        kept = _kept_indices(mask)
        flat = theta0[name].flatten()
        shuffled = flat.clone()
        shuffled[kept] = flat[kept[torch.randperm(len(kept), generator=generator)]]
        init[name] = shuffled.view_as(theta0[name])
    return {name: mask.clone() for name, mask in masks.items()}, init


def permuted_permuted(masks: Tensors, theta0: Tensors, generator: torch.Generator) -> tuple[Tensors, Tensors]:
    """m' ⊙ W': per layer, a random mask with the ticket's count of kept weights, filled with that layer's
    surviving θ0 values in random order."""
    init = {name: value.clone() for name, value in theta0.items()}
    new_masks = {}
    for name, mask in masks.items():
        kept = _kept_indices(mask)
        positions = torch.randperm(mask.numel(), generator=generator)[: len(kept)]
        values = theta0[name].flatten()[kept]
        new_mask = torch.zeros(mask.numel(), dtype=torch.bool)
        new_mask[positions] = True
        flat = theta0[name].flatten().clone()
        flat[positions] = values[torch.randperm(len(values), generator=generator)]
        new_masks[name] = new_mask.view_as(mask)
        init[name] = flat.view_as(theta0[name])
    return new_masks, init


def random_reinit(masks: Tensors, fresh_init: Tensors, generator: torch.Generator) -> tuple[Tensors, Tensors]:
    """m~ ⊙ W~: the ticket's global count of kept weights placed uniformly over all prunable layers pooled,
    on a fresh init (layer-wise ratios are not kept)."""
    names = list(masks)
    sizes = [masks[name].numel() for name in names]
    n_kept = int(sum(int(masks[name].sum()) for name in names))
    pooled = torch.zeros(sum(sizes), dtype=torch.bool)
    pooled[torch.randperm(len(pooled), generator=generator)[:n_kept]] = True
    new_masks = {name: chunk.view_as(masks[name]) for name, chunk in zip(names, pooled.split(sizes), strict=True)}
    return new_masks, {name: value.clone() for name, value in fresh_init.items()}


def baseline_start(
    condition: str,
    ticket_masks: Tensors,
    theta0: Tensors,
    fresh_init: Tensors | None,
    seed: int,
    level: int,
) -> tuple[Tensors, Tensors]:
    """(masks, init) of one baseline at one level, derived from the ticket chain's mask at that level."""
    generator = condition_generator(seed, level, condition)
    if condition == "mask_permuted":
        return mask_permuted(ticket_masks, theta0, generator)
    if condition == "permuted_permuted":
        return permuted_permuted(ticket_masks, theta0, generator)
    if fresh_init is None:
        raise ValueError("random_reinit needs a fresh initialisation")
    return random_reinit(ticket_masks, fresh_init, generator)
