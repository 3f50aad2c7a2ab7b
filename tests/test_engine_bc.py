"""Batched BC (rltickets.engine.bc): a student trained alone equals the same student in a batch, bit for bit, a
student that stops leaves the batch, and the batch trains and evaluates as the SB3 path (core.cloning.train_bc)
does."""

import json

import numpy as np
import pytest
import torch
from conftest import ci_task_settings

from rltickets.bc.dataset import collect_expert_dataset
from rltickets.core.cloning import train_bc
from rltickets.core.masking import dense_masks
from rltickets.core.ppo import initial_parameters, train_ppo
from rltickets.core.pruning import prune_global_magnitude
from rltickets.engine import bc as engine_bc
from rltickets.engine.bc import train_bc_batched
from rltickets.engine.policy import NetworkSpec
from rltickets.infra.compare import TIMING
from rltickets.infra.settings import BcBudget, PpoBudget

TASK = "CartPole-v1"
SEEDS = [0, 1, 2]


@pytest.fixture(scope="module")
def students():
    """Three students as one IMP level has them: per-seed θ0 and expert data, one of them pruned."""
    settings = ci_task_settings(TASK)
    expert, _ = train_ppo(TASK, settings, 0, PpoBudget(total_timesteps=4096, eval_every_steps=4096, eval_episodes=2))
    datasets = [collect_expert_dataset(expert, TASK, seed, 400) for seed in SEEDS]
    inits = [initial_parameters(TASK, settings, seed) for seed in SEEDS]
    masks = [None, prune_global_magnitude(inits[1], dense_masks(inits[1]), 0.6), None]
    specs = [NetworkSpec(init, mask, seed) for init, mask, seed in zip(inits, masks, SEEDS, strict=True)]
    return settings, specs, datasets


def budget(**changes):
    values = dict(epochs=40, batch_size=64, learning_rate=1e-2, eval_every_epochs=4, eval_episodes=2, patience=3)
    return BcBudget(**{**values, **changes})


def without_timing(metrics):
    return {k: v for k, v in metrics.items() if not TIMING.search(k)}


@pytest.mark.parametrize("stopping", ["plateau", "fixed"])
def test_a_student_alone_equals_the_same_student_in_a_batch(students, stopping):
    settings, specs, datasets = students
    rules = budget(stopping=stopping, epochs=40 if stopping == "plateau" else 6)
    batch, batch_metrics = train_bc_batched(TASK, settings, specs, datasets, rules)
    if stopping == "plateau":
        assert len({m["stopped_epoch"] for m in batch_metrics}) > 1  # the networks stopped on their own
        assert all(m["stopped_epoch"] < 40 for m in batch_metrics)
    for n in range(len(specs)):
        alone, alone_metrics = train_bc_batched(TASK, settings, [specs[n]], [datasets[n]], rules)
        batch_state, alone_state = batch.state_dict_of(n), alone.state_dict_of(0)
        assert all(torch.equal(batch_state[k], alone_state[k]) for k in alone_state)
        assert without_timing(batch_metrics[n]) == without_timing(alone_metrics[0])
        json.dumps(batch_metrics[n], allow_nan=False)  # metrics.json: plain JSON, no NaN
    pruned = specs[1].masks
    for name, mask in pruned.items():
        assert torch.all(batch.state_dict_of(1)[name][~mask] == 0)


def test_stopped_students_leave_the_batch_and_are_not_evaluated(students, monkeypatch):
    """Every Adam step updates exactly the networks still training, and every network is evaluated only at its own
    evaluation epochs and its stop."""
    settings, specs, datasets = students
    rules = budget()
    networks_per_step, evaluated_seeds = [], []
    original_step, original_evaluate = torch.optim.Adam.step, engine_bc.evaluate_networks

    def recording_step(self, *args, **kwargs):
        networks_per_step.append(self.param_groups[0]["params"][0].shape[0])
        return original_step(self, *args, **kwargs)

    def recording_evaluate(policy, task_id, stream_seeds, *args, **kwargs):
        assert policy.num_networks == len(stream_seeds)
        evaluated_seeds.extend(stream_seeds)
        return original_evaluate(policy, task_id, stream_seeds, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", recording_step)
    monkeypatch.setattr(engine_bc, "evaluate_networks", recording_evaluate)
    _, metrics = train_bc_batched(TASK, settings, specs, datasets, rules)
    stops = [m["stopped_epoch"] for m in metrics]
    assert len(set(stops)) == len(specs)  # three different stops: the batch shrank twice
    steps_per_epoch = -(-(len(datasets[0]["actions"]) * 9 // 10) // rules.batch_size)  # 360 training pairs
    expected = [sum(stop >= epoch for stop in stops) for epoch in range(1, max(stops) + 1)]
    assert networks_per_step == [n for n in expected for _ in range(steps_per_epoch)]
    for spec, network_metrics in zip(specs, metrics, strict=True):
        assert evaluated_seeds.count(spec.stream_seed) == len(network_metrics["history"])


@pytest.mark.parametrize("task", [TASK, "Pendulum-v1"])
def test_the_batch_trains_and_evaluates_as_the_sb3_path(students, task):
    """Same data order, split, loss, optimiser and stopping rule as train_bc: the losses agree to float precision
    (the stacked forward uses baddbmm where SB3 uses addmm) and so do the stop and the weights. Evaluation k runs on
    fresh envs seeded from (stream seed, k) in both: the returns are equal on CartPole; on Pendulum the batched
    gymnasium env hands out float32 rewards where SB3's Monitor sums float64 ones, and the actions differ by float
    rounding, so they agree to 1e-5 (measured: ≤ 3e-7 relative)."""
    settings, specs, datasets = students if task == TASK else pendulum_students()
    rules = budget()
    batch, batch_metrics = train_bc_batched(task, settings, specs, datasets, rules)
    for n, spec in enumerate(specs):
        policy, metrics = train_bc(
            task, settings, spec.stream_seed, datasets[n], rules, theta0=spec.init, masks=spec.masks
        )
        assert batch_metrics[n]["stopped_epoch"] == metrics["stopped_epoch"]
        assert batch_metrics[n]["best_epoch"] == metrics["best_epoch"]
        np.testing.assert_allclose(batch_metrics[n]["loss_per_epoch"], metrics["loss_per_epoch"], rtol=1e-4)
        np.testing.assert_allclose(batch_metrics[n]["val_loss_per_epoch"], metrics["val_loss_per_epoch"], rtol=1e-4)
        sb3_state = policy.state_dict()
        for name, value in batch.state_dict_of(n).items():
            torch.testing.assert_close(value, sb3_state[name], rtol=1e-4, atol=1e-5)
        batch_history, history = batch_metrics[n]["history"], metrics["history"]
        assert [(h["step"], h["weights_epoch"]) for h in batch_history] == [
            (h["step"], h["weights_epoch"]) for h in history
        ]
        assert len(history) > 2  # evaluations after the first, on fresh envs
        returns = {key: [h[key] for h in history] for key in ("mean_return", "std_return")}
        for key, values in returns.items():
            if task == TASK:
                assert [h[key] for h in batch_history] == values
            else:
                np.testing.assert_allclose([h[key] for h in batch_history], values, rtol=1e-5)
        # continuous: the mean |action difference| of weights that agree to float rounding
        assert batch_metrics[n]["val_agreement"] == pytest.approx(metrics["val_agreement"], rel=1e-4)


def pendulum_students():
    """Two Gaussian-policy students (one pruned) cloning a briefly trained Pendulum-v1 expert."""
    task, seeds = "Pendulum-v1", [0, 1]
    settings = ci_task_settings(task)
    expert, _ = train_ppo(task, settings, 0, PpoBudget(total_timesteps=1024, eval_every_steps=1024, eval_episodes=1))
    datasets = [collect_expert_dataset(expert, task, seed, 400) for seed in seeds]
    inits = [initial_parameters(task, settings, seed) for seed in seeds]
    masks = [None, prune_global_magnitude(inits[1], dense_masks(inits[1]), 0.6)]
    return settings, [NetworkSpec(i, m, s) for i, m, s in zip(inits, masks, seeds, strict=True)], datasets
