"""Benchmark: the batched PPO engine (rltickets.engine.ppo) against SB3 (rltickets.core.ppo), side by side.

For each task the same networks are trained both ways in this one process, one torch thread: every seed's θ0
(`core.ppo.initial_parameters`) once dense and once under a sparse mask, by SB3's `core.ppo.train_ppo` (one
network per call, as a pipeline job does) and by `engine.ppo.train_ppo_batched` (all seeds in one call, N = seeds).
The contenders are interleaved (SB3 on the first half of the seeds, the engine batch, SB3 on the second half) so
that slow drifts of a shared machine hit both; times are CPU seconds of this process (time.process_time).

The sparse mask is an IMP-like mask at the sparsity of IMP level 6 at the config's prune fraction 0.4
(0.6^6 = 4.7 % of the actor's weights): one-shot global magnitude pruning (`core.pruning.prune_level`, with the
config's output-layer rule) of the network SB3 trained dense from the same seed in this benchmark, trained again
from θ0 (rewind to init) under that mask, both ways with the same mask.

Printed per task and condition: CPU seconds per network and the speed-up, the distributions of best and final
returns (mean, std, min, max) of both, and a two-sided Mann-Whitney U test per metric (scipy). A figure of both
learning curves (mean ± std of the evaluation history) goes to --out. The last line is
`speedup_per_core=<SB3 CPU / engine CPU, all runs> returns_match=<yes if no test rejects at 0.05, else no>`.

    .venv/bin/python benchmarks/engine_vs_sb3.py [--seeds 15] [--timesteps T] [--tasks CartPole-v1 Acrobot-v1]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from _common import REPO, busy_processes, load  # noqa: E402
from scipy.stats import mannwhitneyu  # noqa: E402

from rltickets.core.masking import dense_masks  # noqa: E402
from rltickets.core.ppo import initial_parameters, train_ppo  # noqa: E402
from rltickets.core.pruning import fraction_remaining, prune_level  # noqa: E402
from rltickets.engine.policy import NetworkSpec  # noqa: E402
from rltickets.engine.ppo import train_ppo_batched  # noqa: E402
from rltickets.infra.artifacts import write_atomic  # noqa: E402
from rltickets.infra.config import load_config  # noqa: E402
from rltickets.infra.settings import ImpSettings, PpoBudget, TaskSettings  # noqa: E402

KEEP = 0.6**6  # IMP level 6 at prune fraction 0.4
ALPHA = 0.05
METRICS = ("best_return", "final_return")


def one_shot_mask(trained: dict[str, torch.Tensor], imp: ImpSettings) -> dict[str, torch.Tensor]:
    """Global magnitude pruning of the trained actor down to KEEP, with the config's output-layer rule."""
    masks = prune_level(trained, dense_masks(trained), 1 - KEEP, imp.output_layer, imp.layer_floor)
    assert abs(fraction_remaining(masks) - KEEP) < 0.01, fraction_remaining(masks)
    return masks


def train_both(task: str, settings: TaskSettings, budget: PpoBudget, specs: list[NetworkSpec]) -> dict:
    """SB3 on the first half of the networks, the engine on all of them, SB3 on the second half."""
    sb3: list = [None] * len(specs)
    cpu = {"sb3": 0.0, "engine": 0.0}

    def run_sb3(indices) -> None:
        for n in indices:
            start = time.process_time()
            spec = specs[n]
            model, metrics = train_ppo(task, settings, spec.stream_seed, budget, theta0=spec.init, masks=spec.masks)
            cpu["sb3"] += time.process_time() - start
            sb3[n] = ({k: v.detach().clone() for k, v in model.policy.state_dict().items()}, metrics)

    half = len(specs) // 2
    run_sb3(range(half))
    start = time.process_time()
    engine = train_ppo_batched(task, settings, budget, specs)
    cpu["engine"] += time.process_time() - start
    run_sb3(range(half, len(specs)))
    return {"sb3": sb3, "engine": engine, "cpu": cpu}


def distribution(values: list[float]) -> str:
    v = np.asarray(values)
    std = v.std(ddof=1) if len(v) > 1 else 0.0
    return f"mean {v.mean():8.2f}  std {std:7.2f}  min {v.min():8.2f}  max {v.max():8.2f}"


def compare(task: str, condition: str, result: dict) -> list[float]:
    """Print the timing and the return distributions of one task and condition; the tests' p-values."""
    n = len(result["engine"])
    cpu_sb3, cpu_engine = result["cpu"]["sb3"] / n, result["cpu"]["engine"] / n
    print(f"\n== {task}, {condition}: {n} networks")
    print(f"CPU s per network: SB3 {cpu_sb3:.2f}  engine {cpu_engine:.2f}  speed-up {cpu_sb3 / cpu_engine:.2f}x")
    p_values = []
    for metric in METRICS:
        sb3 = [m[metric] for _, m in result["sb3"]]
        engine = [m[metric] for _, m in result["engine"]]
        same = sorted(sb3) == sorted(engine)  # e.g. all 500: the test is undefined and nothing differs
        p = 1.0 if same else float(mannwhitneyu(sb3, engine, alternative="two-sided").pvalue)
        p_values.append(p)
        print(f"{metric:13s} SB3    {distribution(sb3)}")
        print(f"{'':13s} engine {distribution(engine)}")
        print(f"{'':13s} Mann-Whitney U two-sided p = {p:.3g}")
    return p_values


def curves(ax, runs: list, label: str, colour: str) -> None:
    steps = [h["step"] for h in runs[0][1]["history"]]
    returns = np.array([[h["mean_return"] for h in metrics["history"]] for _, metrics in runs])
    mean, std = returns.mean(0), returns.std(0)
    ax.plot(steps, mean, color=colour, label=label, marker="o", markersize=3)
    ax.fill_between(steps, mean - std, mean + std, color=colour, alpha=0.2)


def figure(results: dict, out: Path) -> None:
    tasks = sorted({task for task, _ in results})
    conditions = ["dense", f"mask {KEEP:.1%}"]
    fig, axes = plt.subplots(len(tasks), 2, figsize=(10, 3.4 * len(tasks)), squeeze=False)
    for row, task in enumerate(tasks):
        for col, condition in enumerate(conditions):
            ax, result = axes[row][col], results[(task, condition)]
            curves(ax, result["sb3"], "SB3 (core.ppo)", "tab:blue")
            curves(ax, result["engine"], "engine (batched)", "tab:red")
            ax.set_title(f"{task}, {condition} ({len(result['engine'])} seeds)")
            ax.set_xlabel("environment steps")
            ax.set_ylabel("evaluation return (mean ± std)")
            ax.legend(loc="lower right")
    fig.tight_layout()
    write_atomic(out, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="+", default=["CartPole-v1", "Acrobot-v1"])
    parser.add_argument("--seeds", type=int, default=15, help="networks per task and condition (engine batch N)")
    parser.add_argument("--timesteps", type=int, default=None, help="PPO steps per network (default: config's rl)")
    parser.add_argument("--eval-every", type=int, default=None, help="default: config's, or timesteps / 5")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks" / "engine_vs_sb3.png")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = load_config()
    imp = ImpSettings.from_dict(config["imp"])
    print(f"engine vs SB3: {args.seeds} seeds, tasks {' '.join(args.tasks)}; {load()}")
    print(f"busy processes: {', '.join(busy_processes()) or 'none'}")
    results, p_values, cpu = {}, [], {"sb3": 0.0, "engine": 0.0}
    for task in args.tasks:
        settings = TaskSettings.from_dict(config["task_settings"][task])
        budget = settings.need("rl")
        if args.timesteps is not None:
            every = args.eval_every or max(1, args.timesteps // 5)
            budget = dataclasses.replace(budget, total_timesteps=args.timesteps, eval_every_steps=every)
        elif args.eval_every is not None:
            budget = dataclasses.replace(budget, eval_every_steps=args.eval_every)
        print(f"\n# {task}: {budget.total_timesteps} steps, evaluation every {budget.eval_every_steps} steps")
        seeds = list(range(args.seeds))
        inits = [initial_parameters(task, settings, seed) for seed in seeds]
        dense_specs = [NetworkSpec(init, None, s) for init, s in zip(inits, seeds, strict=True)]
        dense = train_both(task, settings, budget, dense_specs)
        masks = [one_shot_mask(weights, imp) for weights, _ in dense["sb3"]]
        masked_specs = [NetworkSpec(init, m, s) for init, m, s in zip(inits, masks, seeds, strict=True)]
        masked = train_both(task, settings, budget, masked_specs)
        for condition, result in (("dense", dense), (f"mask {KEEP:.1%}", masked)):
            results[(task, condition)] = result
            p_values += compare(task, condition, result)
            for contender in cpu:
                cpu[contender] += result["cpu"][contender]
    figure(results, args.out)
    print(f"\nfigure: {args.out}")
    print(f"CPU s total: SB3 {cpu['sb3']:.1f}  engine {cpu['engine']:.1f}; {load()}")
    match = "yes" if all(p >= ALPHA for p in p_values) else "no"
    print(f"speedup_per_core={cpu['sb3'] / cpu['engine']:.2f} returns_match={match}")


if __name__ == "__main__":
    main()
