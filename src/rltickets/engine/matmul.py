"""The batched engine's matrix products x @ W + b for N networks at once, on torch's BLAS or on numpy's OpenBLAS.

torch runs every float32 matrix product on MKL, whose code path depends on the CPU vendor and model unless
`MKL_CBWR` pins it; on AMD CPUs MKL honours only its COMPATIBLE branch, which runs the engine's [N, 256, 64] x
[N, 64, 64] products 2-3x slower than MKL's own choice (a 60-network PPO level: 1.4-1.5x the CPU time;
docs/reproducibility.md). numpy's OpenBLAS takes its kernel family from `OPENBLAS_CORETYPE` on any vendor's CPU,
so `numerics.engine_matmul: openblas` with `openblas_coretype: Haswell` runs the same AVX2 + FMA instructions on
Intel and AMD, at MKL's own speed.

`OpenBlasBaddbmm` is the autograd function for that path: forward bias + x @ W with numpy's stacked matmul (one
sgemm per network, so a network's product does not depend on the others in the batch), backward
dx = g @ Wᵀ and dW = xᵀ @ g the same way, db = g summed over the rows by torch (as baddbmm's own backward).
"""

from __future__ import annotations

import numpy as np
import torch


def _matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a [N, m, k] @ b [N, k, n] on numpy's OpenBLAS (views of the tensors' memory, no copies)."""
    return torch.from_numpy(np.matmul(a.detach().numpy(), b.detach().numpy()))


class OpenBlasBaddbmm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, bias: torch.Tensor, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        return _matmul(x, weight) + bias

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        grad = grad.contiguous()
        need_bias, need_x, need_weight = ctx.needs_input_grad
        grad_bias = grad.sum(1, keepdim=True) if need_bias else None
        grad_x = _matmul(grad, weight.transpose(1, 2)) if need_x else None
        grad_weight = _matmul(x.transpose(1, 2), grad) if need_weight else None
        return grad_bias, grad_x, grad_weight


def batched_baddbmm(bias: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, backend: str) -> torch.Tensor:
    """bias [N, 1, out] + x [N, B, in] @ weight [N, in, out] on `backend` ('torch' or 'openblas')."""
    if backend == "openblas":
        return OpenBlasBaddbmm.apply(bias, x, weight)
    return torch.baddbmm(bias, x, weight)
