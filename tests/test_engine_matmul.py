"""The engine's matrix products on numpy's OpenBLAS (rltickets.engine.matmul): torch's values and gradients, one
network's numbers independent of its batch, and the workflow's pinning of the backend."""

import pytest
import torch

from rltickets.engine.matmul import OpenBlasBaddbmm, batched_baddbmm
from rltickets.engine.policy import StackedPolicy
from rltickets.infra import numerics


def _operands(n=5, rows=32, inputs=16, outputs=8, seed=0):
    generator = torch.Generator().manual_seed(seed)
    bias = torch.randn(n, 1, outputs, generator=generator, requires_grad=True)
    x = torch.randn(n, rows, inputs, generator=generator, requires_grad=True)
    weight = torch.randn(n, inputs, outputs, generator=generator, requires_grad=True)
    return bias, x, weight


def test_openblas_product_and_gradients_equal_torch_to_rounding():
    operands = _operands()
    grad_out = torch.randn(5, 32, 8, generator=torch.Generator().manual_seed(1))
    results = {}
    for backend in ("torch", "openblas"):
        leaves = [t.detach().clone().requires_grad_() for t in operands]
        out = batched_baddbmm(*leaves, backend)
        out.backward(grad_out)
        results[backend] = [out.detach(), *(t.grad for t in leaves)]
    for mine, reference in zip(results["openblas"], results["torch"], strict=True):
        torch.testing.assert_close(mine, reference, rtol=1e-5, atol=1e-5)


def test_a_networks_product_and_gradients_do_not_depend_on_its_batch():
    bias, x, weight = (t.detach() for t in _operands(n=7))

    def forward_backward(rows):
        leaves = [t[rows].clone().requires_grad_() for t in (bias, x, weight)]
        out = OpenBlasBaddbmm.apply(*leaves)
        out.pow(2).sum().backward()
        return [out.detach(), *(t.grad for t in leaves)]

    together = forward_backward(list(range(7)))
    for n in (0, 4):
        alone = forward_backward([n])
        assert all(torch.equal(a[0], t[n]) for a, t in zip(alone, together, strict=True))


def test_an_input_without_grad_gets_none_and_the_others_theirs():
    bias, x, weight = _operands()
    constant = x.detach()
    OpenBlasBaddbmm.apply(bias, constant, weight).sum().backward()
    assert constant.grad is None and weight.grad is not None and bias.grad is not None
    torch.testing.assert_close(bias.grad, torch.full_like(bias, 32.0))  # 32 rows, each with gradient 1


def test_the_policy_takes_the_backend_the_workflow_pinned(monkeypatch):
    state = {"mlp_extractor.policy_net.0.weight": torch.ones(3, 2), "mlp_extractor.policy_net.0.bias": torch.zeros(3)}
    monkeypatch.delenv(numerics.ENGINE_MATMUL, raising=False)
    assert StackedPolicy.from_state_dicts([state]).matmul == "torch"
    monkeypatch.setenv(numerics.ENGINE_MATMUL, "openblas")
    assert StackedPolicy.from_state_dicts([state]).matmul == "openblas"
    monkeypatch.setenv(numerics.ENGINE_MATMUL, "cublas")
    with pytest.raises(numerics.NumericsError, match="expected one of torch, openblas"):
        StackedPolicy.from_state_dicts([state])


def test_a_pinned_openblas_kernel_family_that_is_not_in_effect_is_reported():
    expected = {numerics.OPENBLAS_CORETYPE: "Haswell"}
    environ = dict(expected)
    assert numerics.numerics_problems(expected, environ, None, None, set(), "haswell") == []
    problems = numerics.numerics_problems(expected, environ, None, None, set(), "SkylakeX")
    assert len(problems) == 1 and "runs its SkylakeX kernels, not the pinned OPENBLAS_CORETYPE='Haswell'" in problems[0]
