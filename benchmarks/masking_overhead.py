"""Benchmark (a): training time of masked vs unmasked SB3 PPO and DQN (goal: ratio <= 1.05).

Side by side in one process, one torch thread: the same agent (same seed, same budget) is trained without masks
and with an IMP-like mask (global magnitude pruning of θ0 to 20% remaining, i.e. about level 7) attached by
`rltickets.core.masking.mask_sb3_model` (gradient hooks, re-zeroing after each optimizer step, DQN target net). The
order alternates (A B B A ...) so slow drifts of a shared machine hit both. CPU seconds of the process
(time.process_time) are the primary number because other work on the machine inflates wall time.

    .venv/bin/python benchmarks/masking_overhead.py [--repeats 5] [--ppo-steps 8192] [--dqn-steps 10000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from _common import busy_processes, load
from stable_baselines3 import DQN

from rltickets.core.masking import dense_masks, mask_sb3_model
from rltickets.core.ppo import make_ppo, seed_everything
from rltickets.core.pruning import fraction_remaining, prune_global_magnitude
from rltickets.infra.config import load_config
from rltickets.infra.settings import TaskSettings

KEEP = 0.2  # fraction of the prunable weights left by the mask (about IMP level 7 at 20% per level)


def sparse_masks(policy: torch.nn.Module) -> dict[str, torch.Tensor]:
    state = {k: v.detach().clone() for k, v in policy.state_dict().items()}
    masks = prune_global_magnitude(state, dense_masks(state), 1 - KEEP)
    assert abs(fraction_remaining(masks) - KEEP) < 0.01
    return masks


def timed_learn(model, steps: int) -> tuple[float, float]:
    """CPU and wall seconds of model.learn only (construction and mask attachment happen once per job anyway)."""
    cpu, wall = time.process_time(), time.perf_counter()
    model.learn(total_timesteps=steps)
    return time.process_time() - cpu, time.perf_counter() - wall


def train_ppo(masked: bool, steps: int, seed: int) -> tuple[float, float]:
    settings = TaskSettings.from_dict(load_config()["task_settings"]["CartPole-v1"])
    model = make_ppo("CartPole-v1", settings, seed)
    if masked:
        mask_sb3_model(model, sparse_masks(model.policy))
    return timed_learn(model, steps)


def train_dqn(masked: bool, steps: int, seed: int) -> tuple[float, float]:
    # The thesis' CartPole DQN (docs/protocol.md §2): 4-128-128-2, batch 32, buffer 1000, updates every 4 steps.
    seed_everything(seed)
    model = DQN(
        "MlpPolicy",
        "CartPole-v1",
        seed=seed,
        device="cpu",
        learning_rate=0.0025,
        batch_size=32,
        buffer_size=1000,
        learning_starts=200,
        train_freq=4,
        target_update_interval=200,
        policy_kwargs=dict(net_arch=[128, 128]),
    )
    if masked:
        mask_sb3_model(model, sparse_masks(model.policy))  # the online q_net; the target net gets the same mask
    return timed_learn(model, steps)


def dqn_gradient_steps(repeats: int, steps: int = 1000) -> tuple[float, float]:
    """CPU seconds of `steps` DQN gradient steps on the same filled replay buffer, unmasked vs masked.

    Isolates the cost of the hooks from the learning dynamics (a masked agent plays different episodes).
    """
    models = {}
    for masked in (False, True):
        seed_everything(0)
        model = DQN(
            "MlpPolicy",
            "CartPole-v1",
            seed=0,
            device="cpu",
            learning_rate=0.0025,
            batch_size=32,
            buffer_size=1000,
            learning_starts=200,
            train_freq=4,
            policy_kwargs=dict(net_arch=[128, 128]),
        )
        model.learn(total_timesteps=300)  # fills the buffer
        if masked:
            mask_sb3_model(model, sparse_masks(model.policy))
        models[masked] = model
    times = {False: [], True: []}
    for repeat in range(repeats):
        for masked in (False, True) if repeat % 2 == 0 else (True, False):
            cpu = time.process_time()
            models[masked].train(gradient_steps=steps, batch_size=32)
            times[masked].append(time.process_time() - cpu)
    return statistics.median(times[False]), statistics.median(times[True])


def measure(train, steps: int, repeats: int) -> dict[bool, dict[str, list[float]]]:
    times = {flag: {"cpu": [], "wall": []} for flag in (False, True)}
    train(True, min(steps, 1024), seed=0)  # warm-up, not timed: first env creation, lazy imports
    for repeat in range(repeats):
        order = (False, True) if repeat % 2 == 0 else (True, False)
        for masked in order:
            cpu, wall = train(masked, steps, seed=repeat)
            times[masked]["cpu"].append(cpu)
            times[masked]["wall"].append(wall)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--ppo-steps", type=int, default=8192)
    parser.add_argument("--dqn-steps", type=int, default=10000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"machine: {load()}; other busy processes: {busy_processes() or 'none'}")
    for name, train, steps in (("PPO", train_ppo, args.ppo_steps), ("DQN", train_dqn, args.dqn_steps)):
        times = measure(train, steps, args.repeats)
        for kind in ("cpu", "wall"):
            plain, masked = (statistics.median(times[flag][kind]) for flag in (False, True))
            print(
                f"{name} {steps} steps, {kind:4s}: unmasked {plain:6.2f} s, masked {masked:6.2f} s -> ratio "
                f"{masked / plain:.3f} (median of {args.repeats}; goal <= 1.05)"
            )
    plain, masked = dqn_gradient_steps(args.repeats)
    print(
        f"DQN 1000 gradient steps on one replay buffer, cpu: unmasked {plain:.2f} s, masked {masked:.2f} s -> ratio "
        f"{masked / plain:.3f} (median of {args.repeats}; the hooks' own cost, without the learning dynamics)"
    )
    print(f"machine after: {load()}")


if __name__ == "__main__":
    main()
