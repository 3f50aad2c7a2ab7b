"""Disentangling baselines (docs/protocol.md §1.4): how much of a ticket's performance is due to its mask, to the
init values it keeps, and to its layer-wise sparsity?

At level k the ticket is `m ⊙ θ0` (condition `mask_weights`). Each baseline starts from the same ticket mask
`m` and is trained exactly like the ticket (same budget, same code path, `rltickets.imp.level.train_masked`):

* `mask_permuted`      m ⊙ W'    same mask; in each layer the surviving θ0 values are shuffled among the kept
                                 positions (keeps the mask and each layer's multiset of values).
* `permuted_permuted`  m' ⊙ W'   in each layer a new random mask with the same number of kept weights, and that
                                 layer's surviving θ0 values shuffled into it (keeps only the layer-wise counts).
* `random_reinit`      m~ ⊙ W~   a random mask with the same *global* count over all prunable layers pooled
                                 (layer ratios not kept) on a fresh init of the prunable layers.

Biases and the other unprunable parameters (the PPO critic, log_std) follow the ticket: never pruned, taken
from θ0. `random_reinit` re-initialises only what the mask covers, the prunable weight matrices and their biases
(the actor; the critic too with `imp.prune_critic`): its critic and log_std are θ0's, as in every other condition,
and its fresh init is drawn anew at every level (`reinit_seed(seed, level)`), so no two levels share it.

Every transform is a pure function of (masks, θ0 or fresh init, torch.Generator): the generator is seeded from
(seed, level, condition), so a rerun gives the same baseline.
"""

from __future__ import annotations

import numpy as np
import torch

TICKET = "mask_weights"
CONDITIONS = ("mask_permuted", "permuted_permuted", "random_reinit")
# Fresh inits of random_reinit come from seeds far from the θ0 seeds (a tag mixed into (seed, level)).
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


def reinit_seed(seed: int, level: int) -> int:
    """The seed of random/reinit's fresh init at one level: a function of (seed, level) only, so each level gets
    its own init, whichever job trains it."""
    entropy = np.random.SeedSequence([REINIT_SEED_OFFSET, seed, level]).generate_state(1, dtype=np.uint32)
    return int(entropy[0])


def random_global_mask(masks: Tensors, generator: torch.Generator) -> Tensors:
    """m~: the ticket's global count of kept weights placed uniformly over all prunable layers pooled (layer-wise
    ratios are not kept)."""
    names = list(masks)
    sizes = [masks[name].numel() for name in names]
    n_kept = int(sum(int(masks[name].sum()) for name in names))
    pooled = torch.zeros(sum(sizes), dtype=torch.bool)
    pooled[torch.randperm(len(pooled), generator=generator)[:n_kept]] = True
    return {name: chunk.view_as(masks[name]) for name, chunk in zip(names, pooled.split(sizes), strict=True)}


def reinitialised_names(masks: Tensors, theta0: Tensors) -> list[str]:
    """What random/reinit draws afresh: every masked weight matrix and its bias."""
    names = []
    for name in masks:
        names.append(name)
        bias = name[: -len("weight")] + "bias" if name.endswith(".weight") else None
        if bias is not None and bias in theta0:
            names.append(bias)
    return names


def random_reinit_start(
    masks: Tensors, theta0: Tensors, fresh_actor_init: Tensors, generator: torch.Generator
) -> tuple[Tensors, Tensors]:
    """m~ ⊙ W~: a random mask with the ticket's global count (`random_global_mask`) on θ0 whose prunable layers
    (weights and biases) are replaced by `fresh_actor_init`'s; the critic, log_std and everything else unmasked
    stay θ0's. `fresh_actor_init` is a full fresh init (e.g. `initial_parameters(task, settings,
    reinit_seed(seed, level))`); only its prunable layers are used."""
    new_masks = random_global_mask(masks, generator)
    init = {name: value.clone() for name, value in theta0.items()}
    for name in reinitialised_names(masks, theta0):
        if fresh_actor_init[name].shape != theta0[name].shape:
            raise ValueError(
                f"fresh init {name} has shape {tuple(fresh_actor_init[name].shape)}, θ0 {tuple(theta0[name].shape)}"
            )
        init[name] = fresh_actor_init[name].clone()
    return new_masks, init


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
        raise ValueError("random_reinit needs a fresh initialisation (its prunable layers replace θ0's)")
    return random_reinit_start(ticket_masks, theta0, fresh_init, generator)
