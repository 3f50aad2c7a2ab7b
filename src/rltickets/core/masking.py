"""Binary weight masks on stable-baselines3 policies.

A mask is a dict {state_dict name of a weight matrix: bool tensor of the same shape}. `attach_masks`
keeps every pruned weight at exactly 0 for the whole of training:

* at attach time and after every `load_state_dict`, pruned entries are zeroed;
* each masked weight gets a gradient hook, so pruned entries have zero gradient *before* any gradient-norm
  clipping (PPO clips; an unmasked gradient would change the clipping of the surviving weights);
* after every optimizer step the weights are re-zeroed (guards against weight decay or momentum leaks).

We do not use `torch.nn.utils.prune`: its reparametrisation renames `weight` to `weight_orig` in the
state_dict, which breaks SB3's save/load and makes `weights.pt` files depend on the masking mechanism.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn


def _state(network: nn.Module | dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return dict(network.state_dict()) if isinstance(network, nn.Module) else network


def prunable_weight_names(network: nn.Module | dict[str, torch.Tensor], include_critic: bool = False) -> list[str]:
    """Names of the weight matrices that IMP prunes, in layer order: every 2-D weight of the actor (or Q-network).

    Works on a policy or on its state_dict (e.g. θ0 loaded from disk). Biases are never prunable. For PPO's
    ActorCriticPolicy the critic (`mlp_extractor.value_net`, `value_net`) is excluded unless `include_critic`;
    for DQN the target network is excluded (it is masked as a copy of the online network, see
    `target_network_masks`).
    """
    names = []
    for name, tensor in _state(network).items():
        if not name.endswith(".weight") or tensor.dim() != 2 or name.startswith("q_net_target."):
            continue
        if name.startswith(("mlp_extractor.value_net.", "value_net.")) and not include_critic:
            continue
        names.append(name)
    return names


def dense_masks(network: nn.Module | dict[str, torch.Tensor], include_critic: bool = False) -> dict[str, torch.Tensor]:
    state = _state(network)
    return {
        name: torch.ones_like(state[name], dtype=torch.bool) for name in prunable_weight_names(state, include_critic)
    }


def target_network_masks(masks: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The DQN target network mirrors the online Q-network: same masks under `q_net_target.` names."""
    return {"q_net_target." + name[len("q_net.") :]: mask for name, mask in masks.items() if name.startswith("q_net.")}


class MaskHandle:
    """The hooks that keep a model masked; `remove()` detaches them."""

    def __init__(self, model: nn.Module, masks: dict[str, torch.Tensor]):
        params = dict(model.named_parameters())
        missing = sorted(set(masks) - set(params))
        if missing:
            raise KeyError(f"masks name weights the model does not have: {missing}")
        self.pairs: list[tuple[nn.Parameter, torch.Tensor]] = []
        for name, mask in masks.items():
            param = params[name]
            if tuple(mask.shape) != tuple(param.shape):
                raise ValueError(f"mask {name!r} has shape {tuple(mask.shape)}, weight has {tuple(param.shape)}")
            self.pairs.append((param, mask.to(dtype=param.dtype, device=param.device)))
        self._handles: list = []

    def zero_pruned(self, *_args) -> None:
        with torch.no_grad():
            for param, mask in self.pairs:
                param.mul_(mask)

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


def attach_masks(
    model: nn.Module,
    masks: dict[str, torch.Tensor],
    optimizers: Iterable[torch.optim.Optimizer] = (),
    trainable: bool = True,
) -> MaskHandle:
    """Zero the pruned weights of `model` and keep them at zero (see module docstring).

    `trainable=False` is for networks that are never stepped by an optimizer (the DQN target net).
    """
    handle = MaskHandle(model, masks)
    handle.zero_pruned()
    handle._handles.append(model.register_load_state_dict_post_hook(lambda *_: handle.zero_pruned()))
    if trainable:
        for param, mask in handle.pairs:
            handle._handles.append(param.register_hook(lambda grad, mask=mask: grad * mask))
        for optimizer in optimizers:
            handle._handles.append(optimizer.register_step_post_hook(handle.zero_pruned))
    return handle


def mask_sb3_model(model, masks: dict[str, torch.Tensor]) -> list[MaskHandle]:
    """Attach masks to an SB3 PPO or DQN model's policy, including the DQN target network."""
    policy = model.policy
    handles = [attach_masks(policy, masks, optimizers=[policy.optimizer])]
    target = target_network_masks(masks)
    if target:
        handles.append(attach_masks(policy, target, trainable=False))
    return handles
