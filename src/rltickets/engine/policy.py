"""N actor-critic MLPs as stacked tensors: the batched counterpart of stable-baselines3's `MlpPolicy`.

Every Linear layer of SB3's `ActorCriticPolicy` (separate actor and critic, `net_arch=dict(pi=..., vf=...)`) becomes
a stacked weight [N, in, out] (SB3's [out, in] transposed, so that `torch.baddbmm` computes x @ W + b for all N
networks at once) and a bias [N, 1, out]. Parameters keep SB3's state_dict names, so that `from_state_dicts` and
`state_dict_of` convert both ways without a name table.

Masks ({state_dict name: 0/1 tensor}, as `rltickets.core.masking`) are multiplied into the weights in the forward
pass: a pruned weight gets an exactly zero gradient, so with Adam it and its moments stay exactly 0 (they start at 0
because `from_state_dicts` zeroes the pruned entries of the init).

Heads as SB3's distributions: Categorical over logits (discrete actions) or a diagonal Gaussian whose `log_std`
does not depend on the state (DiagGaussianDistribution). Sampling takes one `torch.Generator` per network, so that
a network's actions depend only on its own stream, never on the other networks of the batch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ..core.observations import ObservationStandardization
from ..core.ppo import ACTIVATIONS
from ..infra.numerics import engine_matmul
from .matmul import batched_baddbmm

Tensors = dict[str, torch.Tensor]

ACTOR_PREFIX = "mlp_extractor.policy_net."
CRITIC_PREFIX = "mlp_extractor.value_net."


@dataclass(frozen=True)
class NetworkSpec:
    """One network of a batch: its initial SB3 state_dict, its masks (None = dense), the seed of its random
    streams (env resets, action sampling, minibatch order), as the SB3 `seed` of `core.ppo.train_ppo`, and the
    fixed statistics its observations are standardised with (None = raw observations; `core.observations`)."""

    init: Tensors
    masks: Tensors | None
    stream_seed: int
    observation_standardization: ObservationStandardization | None = None


def _parameter_name(name: str) -> str:
    """nn.Module attribute names cannot contain dots."""
    return name.replace(".", "__")


def _hidden_layers(state: Tensors, prefix: str) -> list[str]:
    """The Linear layers of an SB3 Sequential (`prefix` + index), in forward order (numeric, not string order)."""
    indices = {int(m.group(1)) for k in state if (m := re.fullmatch(re.escape(prefix) + r"(\d+)\.weight", k))}
    return [f"{prefix}{i}" for i in sorted(indices)]


class StackedPolicy(nn.Module):
    """N SB3 MlpPolicies of identical shape. Parameters are named as SB3's state_dict with dots as `__`."""

    def __init__(self, state_dicts: Sequence[Tensors], masks_list: Sequence[Tensors | None], activation: str):
        super().__init__()
        if not state_dicts:
            raise ValueError("a StackedPolicy needs at least one network")
        if len(masks_list) != len(state_dicts):
            raise ValueError(f"{len(state_dicts)} state_dicts but {len(masks_list)} masks")
        first = state_dicts[0]
        for n, state in enumerate(state_dicts):
            if {k: tuple(v.shape) for k, v in state.items()} != {k: tuple(v.shape) for k, v in first.items()}:
                raise ValueError(f"network {n} does not have the shapes of network 0")
        self.num_networks = len(state_dicts)
        self.names = list(first)  # SB3's state_dict order, for state_dict_of
        self.activation_name = activation
        self.activation = ACTIVATIONS[activation]()
        self.actor_layers = _hidden_layers(first, ACTOR_PREFIX)
        self.critic_layers = _hidden_layers(first, CRITIC_PREFIX)
        self.continuous = "log_std" in first
        self.matmul = engine_matmul()  # torch (MKL) or openblas (engine.matmul)
        self.masked_weights: list[str] = []
        for name in self.names:
            stacked = torch.stack([state[name].detach().to(torch.float32) for state in state_dicts])
            if name.endswith(".weight"):
                stacked = stacked.transpose(1, 2)  # [N, in, out]
            elif name.endswith(".bias"):
                stacked = stacked.unsqueeze(1)  # [N, 1, out]
            else:  # log_std [N, action_dim] -> [N, 1, action_dim], broadcast over the batch (attribute `log_std`)
                stacked = stacked.unsqueeze(1)
            masked = [m is not None and name in m for m in masks_list]
            if any(masked):
                ones = torch.ones(state_dicts[0][name].shape)
                per_network = zip(masks_list, masked, strict=True)
                mask = torch.stack([m[name].to(torch.float32) if hit else ones for m, hit in per_network])
                mask = mask.transpose(1, 2).contiguous()
                self.register_buffer(_parameter_name(name) + "__mask", mask)
                self.masked_weights.append(name)
                stacked = stacked * mask
            self.register_parameter(_parameter_name(name), nn.Parameter(stacked.contiguous()))
        unknown = {k for m in masks_list if m is not None for k in m} - set(self.names)
        if unknown:
            raise KeyError(f"masks name weights the policy does not have: {sorted(unknown)}")

    @classmethod
    def from_state_dicts(
        cls, state_dicts: Sequence[Tensors], masks_list: Sequence[Tensors | None] | None = None, activation="relu"
    ) -> StackedPolicy:
        return cls(state_dicts, masks_list if masks_list is not None else [None] * len(state_dicts), activation)

    @classmethod
    def from_specs(cls, networks: Sequence[NetworkSpec], activation: str) -> StackedPolicy:
        return cls([spec.init for spec in networks], [spec.masks for spec in networks], activation)

    def select(self, rows: Sequence[int]) -> StackedPolicy:
        """The networks `rows` (in that order) as a policy of their own: copies of their weights and masks, bit for
        bit (a pruned weight is 0 in both), so each computes as it did in this batch."""
        masks = [self.masks_of(n) or None for n in rows]
        return StackedPolicy([self.state_dict_of(n) for n in rows], masks, self.activation_name)

    # ---- parameters by SB3 name ----
    def param(self, name: str) -> nn.Parameter:
        return getattr(self, _parameter_name(name))

    def weight(self, layer: str) -> torch.Tensor:
        """The effective (masked) stacked weight [N, in, out] of a Linear layer."""
        name = layer + ".weight"
        weight = self.param(name)
        if name in self.masked_weights:
            weight = weight * getattr(self, _parameter_name(name) + "__mask")
        return weight

    def linear(self, layer: str, x: torch.Tensor) -> torch.Tensor:
        """x [N, B, in] -> x @ W + b [N, B, out] for every network at once.

        A layer with one output (the critic's value head, a 1-D Gaussian mean) or one input is computed elementwise:
        CPU bmm takes a matrix-vector path for it whose rounding depends on the number of networks in the batch, so
        a network trained alone would drift (by ~1e-8) from the same network trained in a batch."""
        bias, weight = self.param(layer + ".bias"), self.weight(layer)
        if weight.shape[2] == 1:
            return (x * weight.transpose(1, 2)).sum(-1, keepdim=True) + bias
        if weight.shape[1] == 1:
            return x * weight + bias
        return batched_baddbmm(bias, x, weight, self.matmul)

    def mlp(self, layers: list[str], x: torch.Tensor) -> torch.Tensor:
        for layer in layers:
            x = self.activation(self.linear(layer, x))
        return x

    # ---- forward ----
    def actor(self, obs: torch.Tensor) -> torch.Tensor:
        """obs [N, B, obs_dim] -> logits (discrete) or Gaussian means (continuous) [N, B, A]."""
        return self.linear("action_net", self.mlp(self.actor_layers, obs))

    def values(self, obs: torch.Tensor) -> torch.Tensor:
        """obs [N, B, obs_dim] -> V(obs) [N, B]."""
        return self.linear("value_net", self.mlp(self.critic_layers, obs)).squeeze(-1)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.actor(obs), self.values(obs)

    def distribution(self, actor_out: torch.Tensor) -> torch.distributions.Distribution:
        """SB3's action distribution for the actor's output, batch shape [N, B] (per-dim Normal for Gaussians)."""
        if self.continuous:
            return torch.distributions.Normal(
                actor_out, torch.ones_like(actor_out) * self.log_std.exp(), validate_args=False
            )
        return torch.distributions.Categorical(logits=actor_out, validate_args=False)

    def log_prob_entropy(self, actor_out: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """log π(a|s) and the entropy [N, B]; Gaussian dimensions are summed as SB3's sum_independent_dims."""
        dist = self.distribution(actor_out)
        if self.continuous:
            return dist.log_prob(actions).sum(-1), dist.entropy().sum(-1)
        return dist.log_prob(actions), dist.entropy()

    def sample(self, actor_out: torch.Tensor, generators: Sequence[torch.Generator]) -> torch.Tensor:
        """One action per (network, row), network n's noise drawn from generators[n] only.

        Discrete: inverse CDF of the categorical probabilities at a uniform draw, [N, B] long.
        Continuous: mean + std * standard normal (SB3's rsample), [N, B, action_dim] float32.
        """
        n_networks, batch = actor_out.shape[:2]
        if len(generators) != n_networks:
            raise ValueError(f"{len(generators)} generators for {n_networks} networks")
        if self.continuous:
            noise = torch.stack([torch.randn(actor_out.shape[1:], generator=g) for g in generators])
            return actor_out + noise * self.log_std.exp()
        uniform = torch.stack([torch.rand(batch, generator=g) for g in generators])
        cdf = torch.softmax(actor_out, dim=-1).cumsum(-1)
        return (uniform.unsqueeze(-1) >= cdf).sum(-1).clamp(max=actor_out.shape[-1] - 1)

    def deterministic(self, actor_out: torch.Tensor) -> torch.Tensor:
        """SB3's `deterministic=True`: the most likely action (discrete) or the mean (continuous)."""
        return actor_out if self.continuous else actor_out.argmax(-1)

    # ---- back to SB3 ----
    def state_dict_of(self, n: int) -> Tensors:
        """Network n as an SB3 `policy.state_dict()`: same keys, order, shapes and dtype (float32)."""
        out = {}
        with torch.no_grad():
            for name in self.names:
                value = self.param(name)[n]
                if name in self.masked_weights:
                    value = value * getattr(self, _parameter_name(name) + "__mask")[n]
                if name.endswith(".weight"):
                    value = value.T
                else:  # biases and log_std: [1, out] -> [out]
                    value = value.squeeze(0)
                out[name] = value.detach().clone().contiguous()
        return out

    def masks_of(self, n: int) -> Tensors:
        """Network n's masks as bool tensors in SB3 naming (only the masked layers)."""
        return {
            name: getattr(self, _parameter_name(name) + "__mask")[n].T.bool().contiguous()
            for name in self.masked_weights
        }

    def per_network_grad_norm(self) -> torch.Tensor:
        """The L2 norm of each network's whole gradient [N] (what SB3's clip_grad_norm_ sees for one network)."""
        total = torch.zeros(self.num_networks)
        for p in self.parameters():
            if p.grad is not None:
                # Accumulated layer by layer: a reduction over a stacked [layers, N] tensor sums in an order that
                # depends on N, which would make a network's clipping depend on its batch.
                total = total + p.grad.pow(2).reshape(self.num_networks, -1).sum(1)
        return total.sqrt()

    def clip_grad_norm_(self, max_norm: float) -> torch.Tensor:
        """Per-network `torch.nn.utils.clip_grad_norm_`: scale network n's gradient by min(1, max / (norm + 1e-6))."""
        norms = self.per_network_grad_norm()
        scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
        for p in self.parameters():
            if p.grad is not None:
                p.grad.mul_(scale.view(-1, *([1] * (p.grad.dim() - 1))))
        return norms
