"""Init rescaling [R]: the sources say "layer init biases interpretability" but give no formula; this is ours."""

from __future__ import annotations

import numpy as np
import torch

INIT_RESCALINGS = ("none", "layer_equalized")


def rescale_initial_parameters(
    theta0: dict[str, torch.Tensor], mode: str, prunable: list[str]
) -> dict[str, torch.Tensor]:
    """θ0 with its prunable weight matrices rescaled (docs/protocol.md §1.5; the formula is our reconstruction [R]).

    `none` returns θ0 unchanged. `layer_equalized` multiplies each prunable matrix by c_l = s / std_l, where
    std_l is its standard deviation and s the geometric mean of all std_l: afterwards every prunable layer has
    the same weight scale s, so global magnitude pruning compares like with like across layers. Because
    prod_l c_l = 1 and ReLU is positively homogeneous, a bias-free network computes the same function as before;
    biases and every non-prunable tensor (the critic) are left as they are.
    """
    if mode not in INIT_RESCALINGS:
        raise ValueError(f"unknown init rescaling {mode!r}; expected one of {INIT_RESCALINGS}")
    rescaled = {name: tensor.detach().clone() for name, tensor in theta0.items()}
    if mode == "none":
        return rescaled
    stds = {name: float(theta0[name].float().std()) for name in prunable}
    if any(s <= 0 for s in stds.values()):
        raise ValueError(f"cannot equalise layers with zero spread: {stds}")
    target = float(np.exp(np.mean(np.log(list(stds.values())))))
    for name in prunable:
        rescaled[name] = theta0[name] * (target / stds[name])
    return rescaled
