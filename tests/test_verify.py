"""`make verify`'s reference and comparison (rltickets.infra.verify) on a slice of level folders written here; the
rerun itself is covered by tests/test_workflow.py on the ci preset."""

import torch

from rltickets.infra import artifacts, tensors, verify

SLICE = {"paradigm": "rl", "task": "CartPole-v1", "seed": 0, "levels": [0, 1]}


def write_slice(root, weight=1.0, best=500.0, machine="AMD EPYC"):
    for folder in verify.level_folders(SLICE):
        tensors.save_tensors(root / folder / "mask.pt", {"w": torch.tensor([True, False])})
        tensors.save_tensors(root / folder / "weights.pt", {"w": torch.tensor([weight, 0.0])})
        metrics = {"best_return": best, "history": [{"step": 1, "mean_return": best}], "wall_time_s": 3.0}
        versions = {"torch": "2.13.0", "cpu": {"model": machine, "env": {"MKL_CBWR": "COMPATIBLE"}}}
        artifacts.save_json(root / folder / "metrics.json", {**metrics, "versions": versions})
    return root


def test_the_reference_holds_tensor_hashes_key_metrics_configs_and_machine(tmp_path):
    reference = verify.make_reference(write_slice(tmp_path), ["config.yaml"], SLICE)
    assert sorted(reference["files"]) == [
        f"results/imp/rl/CartPole-v1/seed0/level{level}/{name}"
        for level in (0, 1)
        for name in ("mask.pt", "weights.pt")
    ]
    level0 = reference["metrics"]["results/imp/rl/CartPole-v1/seed0/level0/metrics.json"]
    assert level0 == {"best_return": 500.0, "history": [{"step": 1, "mean_return": 500.0}]}  # no timings
    assert reference["configfiles"] == ["config.yaml"] and reference["machine"]["model"] == "AMD EPYC"
    assert "AMD EPYC" in verify.describe_machine(reference["machine"]) and "MKL_CBWR=COMPATIBLE" in (
        verify.describe_machine(reference["machine"])
    )
    assert verify.describe_machine(None) == "not recorded"


def test_the_same_numbers_on_another_machine_are_bit_identical(tmp_path):
    reference = verify.make_reference(write_slice(tmp_path / "a"), ["config.yaml"], SLICE)
    rerun = verify.record_of(write_slice(tmp_path / "b", machine="Intel Xeon"), SLICE)
    assert verify.differences(reference, rerun) == []


def test_one_ulp_in_a_weight_or_a_changed_metric_is_named(tmp_path):
    reference = verify.make_reference(write_slice(tmp_path / "a"), ["config.yaml"], SLICE)
    nudged = torch.nextafter(torch.tensor(1.0), torch.tensor(2.0)).item()
    found = verify.differences(reference, verify.record_of(write_slice(tmp_path / "b", weight=nudged), SLICE))
    assert found == [f"results/imp/rl/CartPole-v1/seed0/level{level}/weights.pt (tensors)" for level in (0, 1)]
    rerun = verify.record_of(write_slice(tmp_path / "c", best=499.0), SLICE)
    del rerun["files"]["results/imp/rl/CartPole-v1/seed0/level1/mask.pt"]
    found = verify.differences(reference, rerun)
    assert "results/imp/rl/CartPole-v1/seed0/level1/mask.pt (only in the reference)" in found
    assert "results/imp/rl/CartPole-v1/seed0/level0/metrics.json (best_return, history)" in found


def test_the_rerun_takes_the_numerics_the_reference_recorded():
    recorded = {"env": {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "", "RLTICKETS_ENGINE_MATMUL": "openblas"}}
    assert verify.recorded_numerics(recorded) == {
        "mkl_cbwr": "COMPATIBLE",
        "aten_cpu_capability": None,  # recorded unset: left to the library, as in the run
        "engine_matmul": "openblas",
    }
    # A reference from before numerics.engine_matmul (docs/results until it is regenerated): torch's products.
    old = {"env": {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "avx2"}}
    assert verify.recorded_numerics(old)["engine_matmul"] == "torch"
    assert verify.recorded_numerics(None) == {"engine_matmul": "torch"}
