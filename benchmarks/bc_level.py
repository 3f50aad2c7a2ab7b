"""Benchmark: a batched BC level (rltickets.engine.bc) before and after batched evaluation and dropping stopped
students, side by side in one process.

"Before" is `engine.bc.train_bc_batched` as it was at `--before` (default: the commit this change started from),
imported from that commit's package under another name (`git archive` into a scratch folder, as
`rltickets_before`); "after" is this checkout's. Before, every network was evaluated one by one with SB3's
`evaluate_policy` on a persistent SB3 eval env, and a network that had stopped kept being trained until the whole
batch stopped; after, every network still training is evaluated at once (`engine.evaluation.evaluate_networks`,
fresh envs per evaluation) and a stopped network leaves the batch.

Per task: a PPO expert trained by `core.ppo.train_ppo` with `--expert-fraction` of the config's expert budget (a
smaller expert than the pipeline's, which is fine for timing; its return is printed), the config's BC settings
(`task_settings`: up to 300 epochs, plateau stopping with patience 20, 10 deterministic evaluation episodes every 10
epochs) and the config's `bc_data.n_transitions` pairs per seed from `bc.dataset.collect_expert_dataset`. A level
of N = 5 students is the 5 seeds' tickets; N = 20 adds three more students per seed with their own inits (θ0 of
another seed), as a level with the three baselines has 4 networks per seed sharing the seed's data and streams.
Dense students: the cost per network does not depend on the mask.

The contenders alternate (before N=5, after N=5, after N=20, before N=20), one torch thread, CPU seconds of this
process (time.process_time). Both must train the same networks: the script checks that the returned weights, the
stop epochs and the losses are identical (only the evaluation returns may differ: other episodes). The last line
is `speedup_per_network=<before CPU / after CPU, all levels> training_identical=<yes|no>`.

    .venv/bin/python benchmarks/bc_level.py [--tasks CartPole-v1 Acrobot-v1 InvertedPendulum-v5] [--networks 5 20]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from _common import REPO, busy_processes, load

from rltickets.bc.dataset import collect_expert_dataset
from rltickets.core.ppo import initial_parameters, train_ppo
from rltickets.engine import bc as bc_after
from rltickets.engine.policy import NetworkSpec
from rltickets.infra.config import load_config
from rltickets.infra.settings import TaskSettings

BEFORE_COMMIT = "329561f"  # the last commit with per-network SB3 evaluation in engine.bc
SEEDS = [0, 1, 2, 3, 4]


def package_at(commit: str, scratch: Path):
    """`rltickets.engine.bc` of `commit`, imported as `rltickets_before.engine.bc` (its relative imports stay inside
    that copy of the package)."""
    archive = scratch / "before.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(REPO), "archive", commit, "src/rltickets"], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(scratch, filter="data")
    (scratch / "src" / "rltickets").rename(scratch / "rltickets_before")
    sys.path.insert(0, str(scratch))
    return importlib.import_module("rltickets_before.engine.bc")


def students(task: str, settings: TaskSettings, n_networks: int) -> list[NetworkSpec]:
    """n_networks students over the 5 seeds: network i has stream seed SEEDS[i % 5] and, from the sixth on, the θ0
    of another seed (what a baseline with a fresh init has)."""
    specs = []
    for i in range(n_networks):
        seed = SEEDS[i % len(SEEDS)]
        init_seed = seed if i < len(SEEDS) else 1000 * (i // len(SEEDS)) + seed
        specs.append(NetworkSpec(initial_parameters(task, settings, init_seed), None, seed))
    return specs


def timed(train, task, settings, specs, datasets, budget) -> tuple[float, list]:
    start = time.process_time()
    policy, metrics = train(task, settings, specs, datasets, budget)
    cpu = time.process_time() - start
    return cpu, [(policy.state_dict_of(n), m) for n, m in enumerate(metrics)]


def same_training(before: list, after: list) -> bool:
    """The same returned weights, stops and losses for every network (the evaluations are allowed to differ)."""
    keys = ("stopped_epoch", "best_epoch", "weights_epoch", "loss_per_epoch", "val_loss_per_epoch", "train_agreement")
    for (weights_b, metrics_b), (weights_a, metrics_a) in zip(before, after, strict=True):
        if any(not torch.equal(weights_b[k], weights_a[k]) for k in weights_b):
            return False
        if any(metrics_b[k] != metrics_a[k] for k in keys):
            return False
    return True


def summary(runs: list) -> str:
    stops = [m["stopped_epoch"] for _, m in runs]
    final = [m["final_return"] for _, m in runs]
    evaluations = sum(len(m["history"]) for _, m in runs)
    return (
        f"stops {min(stops)}-{max(stops)} (mean {np.mean(stops):.0f}), {evaluations} evaluations, "
        f"final return {np.mean(final):.1f} ± {np.std(final):.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="+", default=["CartPole-v1", "Acrobot-v1", "InvertedPendulum-v5"])
    parser.add_argument("--networks", nargs=2, type=int, default=[5, 20], metavar=("SMALL", "LARGE"))
    parser.add_argument("--expert-fraction", type=float, default=0.5, help="of the config's expert budget")
    parser.add_argument("--before", default=BEFORE_COMMIT, help="the commit whose engine.bc is 'before'")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = load_config()
    print(f"BC level, before ({args.before}) vs after; {load()}")
    print(f"busy processes: {', '.join(busy_processes()) or 'none'}")
    rows, cpu_total, identical = [], {"before": 0.0, "after": 0.0}, True
    with tempfile.TemporaryDirectory(prefix="bc_level_") as scratch:
        bc_before = package_at(args.before, Path(scratch))
        contenders = {"before": bc_before.train_bc_batched, "after": bc_after.train_bc_batched}
        for task in args.tasks:
            settings = TaskSettings.from_dict(config["task_settings"][task])
            budget = settings.need("bc")
            expert_budget = settings.need("expert")
            steps = int(expert_budget.total_timesteps * args.expert_fraction)
            expert_budget = dataclasses.replace(expert_budget, total_timesteps=steps, eval_every_steps=steps)
            expert, expert_metrics = train_ppo(task, settings, 0, expert_budget)
            n_transitions = settings.need("bc_data").n_transitions
            data = {seed: collect_expert_dataset(expert, task, seed, n_transitions) for seed in SEEDS}
            print(
                f"\n# {task}: expert {steps} PPO steps, return {expert_metrics['final_return']:.1f}; "
                f"{n_transitions} pairs per seed; bc {budget}"
            )
            small, large = args.networks
            order = [("before", small), ("after", small), ("after", large), ("before", large)]
            results = {}
            for contender, n_networks in order:
                specs = students(task, settings, n_networks)
                datasets = [data[spec.stream_seed] for spec in specs]
                cpu, runs = timed(contenders[contender], task, settings, specs, datasets, budget)
                results[(contender, n_networks)] = (cpu, runs)
                cpu_total[contender] += cpu
                print(f"{contender:6s} N={n_networks:2d}: {cpu:7.1f} CPU s, {cpu / n_networks:6.2f} per network; "
                      f"{summary(runs)}", flush=True)  # fmt: skip
            for n_networks in (small, large):
                (cpu_b, runs_b), (cpu_a, runs_a) = results[("before", n_networks)], results[("after", n_networks)]
                same = same_training(runs_b, runs_a)
                identical &= same
                rows.append((task, n_networks, cpu_b / n_networks, cpu_a / n_networks, same))
    print(f"\n{'task':22s} {'N':>3s} {'before':>8s} {'after':>8s} {'speed-up':>9s}  training identical")
    for task, n_networks, before, after, same in rows:
        print(
            f"{task:22s} {n_networks:3d} {before:8.2f} {after:8.2f} {before / after:8.2f}x  {'yes' if same else 'no'}"
        )
    print(f"(CPU s per network per level); {load()}")
    print(f"busy processes: {', '.join(busy_processes()) or 'none'}")
    ratio = cpu_total["before"] / cpu_total["after"]
    print(f"speedup_per_network={ratio:.2f} training_identical={'yes' if identical else 'no'}")


if __name__ == "__main__":
    main()
