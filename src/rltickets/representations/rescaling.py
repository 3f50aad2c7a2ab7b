"""Init rescaling [R]: the sources say "layer init biases interpretability" and "a simple initialization rescaling
which promotes the robust identification of sparse task representations" but give no formula; these are ours.

Each mode is a transform of θ0 (the rescaled chains then run exactly like the main chain), so a further mode is one
more entry of `INIT_RESCALINGS` here, of the config schema's `representations.init_rescaling.modes` and of
`infra.layout.RESCALINGS`; the tables, the claim and the figure take every mode they find. The one exception,
`obs_standardized`, rescales the observations instead (`OBSERVATION_RESCALINGS`): θ0 unchanged, and the chain's
level jobs read fixed observation statistics beside it.
"""

from __future__ import annotations

import numpy as np
import torch

from ..core.pruning import CRITIC_PREFIXES, layer_order
from ..infra.layout import OBS_STANDARDIZED

INIT_RESCALINGS = ("none", "layer_equalized", "input_layer_matched", OBS_STANDARDIZED)
# Modes that rescale what the network sees rather than θ0: their θ0 is θ0 unchanged, and their level jobs read the
# fixed observation statistics (`rltickets.core.observations`, `infra.layout.OBSERVATION_STATISTICS`).
OBSERVATION_RESCALINGS = (OBS_STANDARDIZED,)


def _geometric_mean(values) -> float:
    return float(np.exp(np.mean(np.log(list(values)))))


def rescale_initial_parameters(
    theta0: dict[str, torch.Tensor], mode: str, prunable: list[str]
) -> dict[str, torch.Tensor]:
    """θ0 with its prunable weight matrices rescaled (docs/protocol.md §1.5; the formulas are our reconstruction [R]).

    `prunable` lists the prunable matrices (`prunable_weight_names`; their layer order is rebuilt from the names).
    Biases and every non-prunable tensor (the critic, log_std) are left as they are, in every mode.

    * `none` returns θ0 unchanged.
    * `layer_equalized` multiplies each prunable matrix by c_l = s / std_l, where std_l is its standard deviation
      and s the geometric mean of all std_l: afterwards every prunable layer has the same weight scale s, so global
      magnitude pruning compares like with like across layers. The factors multiply to 1, so a *bias-free* ReLU
      network would compute the same function; the actor has biases, which are not rescaled, so the rescaled
      network computes a different function at init (a different init, which is the point: IMP rewinds to it).
    * `input_layer_matched` rescales only the input layer (the first prunable matrix), to the scale of the hidden
      layers: c = s_hidden / std_input, s_hidden the geometric mean of the stds of the matrices between the first
      and the last (all but the first when there are none between). PyTorch's fan-in init gives a low-dimensional
      input layer weights sqrt(fan-in ratio) times larger (CartPole: 4 vs 64 inputs, 4x), which global magnitude
      pruning protects for their scale alone. The other layers keep θ0; the function changes at init.
    * `obs_standardized` returns θ0 unchanged: the chain rescales the inputs instead of the weights, each
      observation standardised as (x − μ) / max(σ, 1e-8) with the fixed statistics of the seed's expert data
      (`rltickets.core.observations`). The input layer then sees every input at unit scale, so input weights are no
      longer protected (or exposed) by an input's raw scale (CartPole's pole angle has a 10-20x smaller spread).
    """
    if mode not in INIT_RESCALINGS:
        raise ValueError(f"unknown init rescaling {mode!r}; expected one of {INIT_RESCALINGS}")
    rescaled = {name: tensor.detach().clone() for name, tensor in theta0.items()}
    if mode == "none" or mode in OBSERVATION_RESCALINGS:
        return rescaled
    stds = {name: float(theta0[name].float().std()) for name in prunable}
    if any(s <= 0 for s in stds.values()):
        raise ValueError(f"cannot rescale layers with zero spread: {stds}")
    if mode == "layer_equalized":
        target = _geometric_mean(stds.values())
        for name in prunable:
            rescaled[name] = theta0[name] * (target / stds[name])
        return rescaled
    actor = [name for name in layer_order(prunable) if not name.startswith(CRITIC_PREFIXES)]
    if len(actor) < 2:
        raise ValueError(f"input_layer_matched needs an input layer and at least one more layer, got {prunable}")
    first, hidden = actor[0], actor[1:-1] or actor[1:]
    rescaled[first] = theta0[first] * (_geometric_mean(stds[name] for name in hidden) / stds[first])
    return rescaled
