"""Benchmark (numerics): which MKL_CBWR x ATEN_CPU_CAPABILITY settings give the same trained network, at what cost.

One tiny training (SB3 PPO on CartPole-v1, the default config's network and PPO settings, seed 0, 20k steps, one
torch thread, as `rltickets.core.ppo.train_ppo` runs an IMP level; `--workload bc`: a BC level as
`rltickets.core.cloning.train_bc` runs it, the default config's 30 epochs on 10,000 transitions of that PPO
agent, only the BC training timed and hashed; `--workload engine`: a batched PPO level as a level job of
configs/paper_classic.yaml trains it, `--networks` CartPole-v1 networks (θ0 of seeds 0..N-1, dense) in one
`rltickets.engine.ppo.train_ppo_batched` call, all of them hashed) per setting, each in a fresh process because
both variables are read when torch and MKL load. Every capability this CPU allows x the MKL_CBWR settings; the
settings run interleaved (the order rotates each repeat) so that a shared machine's drift hits all of them.
Prints the hash of the trained policy parameters (equal hashes: bit-identical networks), the branch MKL reports,
torch's capability and the training's CPU seconds (median over repeats, and relative to the unpinned run).

    .venv/bin/python benchmarks/numerics_identity.py [--repeats 3] [--steps 20000] [--cbwr unset COMPATIBLE ...]
        [--capabilities unset avx2 ...] [--workload ppo|bc|engine] [--networks 60] [--engine-matmul torch openblas]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from _common import busy_processes, load

from rltickets.infra import numerics

UNSET = "unset"
CBWR_SETTINGS = (UNSET, "COMPATIBLE", "AUTO", "AVX2", "AVX512")


def child(steps: int, workload: str, networks: int) -> None:
    """Train once in this process (its environment is the setting) and print one JSON line."""
    import time

    import torch

    from rltickets.bc.dataset import collect_expert_dataset
    from rltickets.core.cloning import train_bc
    from rltickets.core.ppo import initial_parameters, train_ppo
    from rltickets.engine.policy import NetworkSpec
    from rltickets.engine.ppo import train_ppo_batched
    from rltickets.infra.config import load_config
    from rltickets.infra.settings import PpoBudget, TaskSettings
    from rltickets.infra.tensors import tensor_digest

    torch.set_num_threads(1)
    config = load_config()
    settings = TaskSettings.from_dict({**config["task_settings"]["CartPole-v1"], "seeds": None})
    budget = PpoBudget(total_timesteps=steps, eval_every_steps=steps, eval_episodes=5)
    if workload == "engine":
        specs = [
            NetworkSpec(init=initial_parameters("CartPole-v1", settings, seed), masks=None, stream_seed=seed)
            for seed in range(networks)
        ]
        start = time.process_time()
        trained_batch = train_ppo_batched("CartPole-v1", settings, budget, specs)
        cpu = time.process_time() - start
        states = {f"{n}.{k}": v for n, (state, _) in enumerate(trained_batch) for k, v in state.items()}
        returns = [metrics["final_return"] for _, metrics in trained_batch]
        print(json.dumps(record_of(tensor_digest(states), cpu, sum(returns) / len(returns))))
        return
    start = time.process_time()
    model, metrics = train_ppo("CartPole-v1", settings, 0, budget)
    cpu = time.process_time() - start
    trained = model.policy
    if workload == "bc":
        dataset = collect_expert_dataset(model, "CartPole-v1", 0, settings.need("bc_data").n_transitions)
        start = time.process_time()
        trained, metrics = train_bc("CartPole-v1", settings, 0, dataset, settings.need("bc"))
        cpu = time.process_time() - start
    print(json.dumps(record_of(tensor_digest(trained.state_dict()), cpu, metrics["final_return"])))


def record_of(digest: str, cpu_s: float, final_return: float) -> dict:
    return {
        "hash": digest[:12],
        "cpu_s": cpu_s,
        "return": final_return,
        "capability": numerics.torch_capability(),
        "mkl_branch": numerics.mkl_branch(),
    }


def run_setting(capability: str, cbwr: str, matmul: str, steps: int, workload: str, networks: int) -> dict:
    env = dict(os.environ)
    numerics.pin_numerics(  # as the workflow pins a setting; unset: the library chooses
        {
            "mkl_cbwr": None if cbwr == UNSET else cbwr,
            "aten_cpu_capability": None if capability == UNSET else capability,
            "openblas_coretype": "Haswell" if matmul == "openblas" else None,
            "engine_matmul": matmul,
        },
        env,
    )
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            "--steps",
            str(steps),
            "--workload",
            workload,
            "--networks",
            str(networks),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{capability} x {cbwr} x {matmul} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--cbwr", nargs="+", default=list(CBWR_SETTINGS))
    parser.add_argument("--capabilities", nargs="+", help="default: unset and every capability this CPU allows")
    parser.add_argument("--workload", choices=("ppo", "bc", "engine"), default="ppo")
    parser.add_argument("--networks", type=int, default=60, help="engine workload: networks in the batch")
    parser.add_argument(
        "--engine-matmul",
        nargs="+",
        default=["torch"],
        choices=numerics.ENGINE_MATMULS,
        help="engine workload: the backends of its matrix products (openblas: OPENBLAS_CORETYPE=Haswell)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.steps, args.workload, args.networks)
        return 0
    cpu = numerics.cpu_info()
    allowed = [c for c, flags in numerics.CAPABILITY_FLAGS.items() if all(f in cpu["flags"] for f in flags)]
    capabilities = args.capabilities or [UNSET, *allowed]
    matmuls = args.engine_matmul if args.workload == "engine" else ["torch"]
    settings = [(c, m, b) for b in matmuls for c in capabilities for m in args.cbwr]
    print(f"CPU: {cpu['vendor']} {cpu['model']}; capabilities allowed: {', '.join(allowed)}")
    print(f"PPO CartPole-v1 seed 0, {args.steps} steps, one thread; {args.repeats} repeats, interleaved; {load()}")
    if args.workload == "engine":
        print(f"timed and hashed: the batched engine, {args.networks} networks in one batch (not SB3)")
    if args.workload == "bc":
        print("timed and hashed: BC (30 epochs, 10,000 transitions of that PPO agent), not the PPO training")
    runs: dict[tuple[str, str, str], list[dict]] = {s: [] for s in settings}
    for repeat in range(args.repeats):
        shift = repeat % len(settings)
        for setting in settings[shift:] + settings[:shift]:
            runs[setting].append(run_setting(*setting, args.steps, args.workload, args.networks))
        print(f"  repeat {repeat + 1} done; {load()}", flush=True)
    baseline = runs.get((UNSET, UNSET, "torch"))
    print()
    header = f"{'matmul':<9} {'ATEN_CPU_CAPABILITY':<20} {'MKL_CBWR':<11} {'torch':<7} {'MKL branch':<11} {'hash':<13}"
    print(f"{header} {'return':>7} {'CPU s':>7} {'ratio':>6}  paired ratios (min-max)")
    for setting, results in runs.items():
        hashes = {r["hash"] for r in results}
        cpu_s = statistics.median(r["cpu_s"] for r in results)
        first = results[0]
        shown = first["hash"] if len(hashes) == 1 else f"{len(hashes)} differ!"
        line = f"{setting[2]:<9} {setting[0]:<20} {setting[1]:<11} {first['capability']:<7} "
        line += f"{first['mkl_branch']:<11} {shown:<13}"
        line += f" {first['return']:7.1f} {cpu_s:7.2f}"
        if baseline:
            # Each repeat's run against the unpinned run of the same repeat (run close in time): the median of
            # these is less exposed to a shared machine's drift than the ratio of the medians.
            paired = [r["cpu_s"] / b["cpu_s"] for r, b in zip(results, baseline, strict=True)]
            ratio = cpu_s / statistics.median(b["cpu_s"] for b in baseline)
            line += f" {ratio:6.3f}  {statistics.median(paired):.3f} ({min(paired):.3f}-{max(paired):.3f})"
        print(line)
    groups: dict[str, list[str]] = {}
    for setting, results in runs.items():
        groups.setdefault(results[0]["hash"], []).append(
            "/".join(setting[:2]) + ("" if setting[2] == "torch" else " openblas")
        )
    print("\nbit-identical groups (ATEN_CPU_CAPABILITY/MKL_CBWR[ openblas]):")
    for digest, members in groups.items():
        print(f"  {digest}: {', '.join(members)}")
    if busy := busy_processes():
        print(f"other busy processes at the end: {', '.join(busy)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
