"""Early-Bird masks as data: labels, flattened masks, their similarity (thesis eqs. 2.5, 2.6) and the checkpoint
packing of the dense run. numpy only, so the tables and figures of the stage never import torch."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

WINNING_TICKET = "es"  # the e_prune label of the one-shot winning ticket: pruned where early stopping fires


def fraction_key(fraction: float) -> str:
    """How P appears in paths and npz keys: 0.2 -> 'P0.2'."""
    return f"P{fraction:g}"


def episode_label(episode: int | str) -> str:
    return episode if episode == WINNING_TICKET else f"episode{int(episode)}"


def flatten_mask(masks: dict[str, torch.Tensor]) -> np.ndarray:
    """All weights of a mask as one bool vector, layers in sorted-name order (the order pruning uses)."""
    return np.concatenate([masks[name].reshape(-1).numpy().astype(bool) for name in sorted(masks)])


def mask_similarity(a: np.ndarray | dict, b: np.ndarray | dict) -> float:
    """1 − h, h = mean |m1 − m2| over all weights (eqs. 2.5 and 2.6)."""
    a = flatten_mask(a) if isinstance(a, dict) else a
    b = flatten_mask(b) if isinstance(b, dict) else b
    if a.shape != b.shape:
        raise ValueError(f"masks of different sizes: {a.shape} vs {b.shape}")
    return 1.0 - float(np.mean(a != b))


def similarity_matrix(stack: np.ndarray) -> np.ndarray:
    """Pairwise 1 − normalised Hamming distance of the rows of a (n_masks, n_weights) 0/1 array."""
    x = stack.astype(np.float64)
    ones = x.sum(axis=1)
    both = x @ x.T
    differing = ones[:, None] + ones[None, :] - 2.0 * both
    return 1.0 - differing / x.shape[1]


def mean_similarity(mask_files: list[dict[str, np.ndarray]], fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Exp 1: the mask-similarity matrix of each repetition's snapshots, averaged over repetitions."""
    key = f"masks_{fraction_key(fraction)}"
    episodes = mask_files[0]["episodes"]
    for f in mask_files[1:]:
        if not np.array_equal(f["episodes"], episodes):
            raise ValueError("repetitions drew their masks at different episodes")
    matrices = [similarity_matrix(f[key]) for f in mask_files]
    return episodes, np.mean(matrices, axis=0)


def load_similarity(tasks: list[str], paths: list[str]) -> dict[str, tuple[np.ndarray, dict[float, np.ndarray]]]:
    """Exp 1's mean similarity matrices (`eb_mask_similarity`'s npz files), per task: (episodes, {P: matrix})."""
    from ..infra.artifacts import load_npz

    similarity = {}
    for task, path in zip(tasks, paths, strict=True):
        arrays = load_npz(path, required=("episodes",))
        per_p = {float(k[len("similarity_P") :]): v for k, v in arrays.items() if k.startswith("similarity_P")}
        similarity[task] = (arrays["episodes"], per_p)
    return similarity


# ---- checkpoints: several state_dicts in one flat dict of tensors ----
def pack_checkpoints(checkpoints: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    return {f"{label}/{name}": tensor for label, state in checkpoints.items() for name, tensor in state.items()}


def unpack_checkpoint(packed: dict[str, torch.Tensor], label: str) -> dict[str, torch.Tensor]:
    prefix = f"{label}/"
    state = {name[len(prefix) :]: t for name, t in packed.items() if name.startswith(prefix)}
    if not state:
        labels = sorted({name.split("/", 1)[0] for name in packed})
        raise KeyError(f"no checkpoint {label!r} (have {labels})")
    return state
