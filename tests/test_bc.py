"""Behavioural cloning: dataset from a real expert rollout, the loss falls, the student shares θ0, the validation
split and the plateau rule."""

import json

import numpy as np
import pytest
import torch
from gymnasium import spaces
from stable_baselines3.common.env_util import make_vec_env

from rltickets.bc.dataset import DATASET_SEED_OFFSET, check_dataset, collect_expert_dataset, perturbed_actions
from rltickets.core.cloning import action_logits, imitation_loss, policy_agreement, train_bc, validation_split
from rltickets.core.masking import dense_masks
from rltickets.core.ppo import initial_parameters, make_ppo, train_ppo
from rltickets.core.stopping import PlateauStopper
from rltickets.imp.level import LevelId, run_level
from rltickets.imp.tables import level_row
from rltickets.infra.artifacts import ArtifactError, load_npz, save_npz
from rltickets.infra.settings import BcBudget, ImpSettings, PpoBudget


def bc_budget(epochs, batch_size, learning_rate, eval_every_epochs, eval_episodes, **stopping):
    return BcBudget(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        eval_every_epochs=eval_every_epochs,
        eval_episodes=eval_episodes,
        **stopping,
    )


@pytest.fixture(scope="module")
def expert():
    from conftest import ci_task_settings

    settings = ci_task_settings("CartPole-v1")
    model, _ = train_ppo(
        "CartPole-v1", settings, 0, PpoBudget(total_timesteps=4096, eval_every_steps=4096, eval_episodes=2)
    )
    return model


@pytest.fixture(scope="module")
def dataset(expert):
    return collect_expert_dataset(expert, "CartPole-v1", 0, 600)


def test_dataset_holds_expert_pairs(dataset):
    assert dataset["observations"].shape == (600, 4) and dataset["actions"].shape == (600,)
    assert set(np.unique(dataset["actions"])) <= {0, 1}
    assert check_dataset(dataset) is None
    broken = {**dataset, "actions": dataset["actions"][:-5]}
    assert "600 observations but 595 actions" in check_dataset(broken)


def test_bc_loss_falls(dataset, tiny_settings):
    _, metrics = train_bc(
        "CartPole-v1",
        tiny_settings,
        0,
        dataset,
        bc_budget(epochs=8, batch_size=64, learning_rate=1e-3, eval_every_epochs=4, eval_episodes=2),
    )
    losses = metrics["loss_per_epoch"]
    assert losses[-1] < 0.7 * losses[0], losses
    assert [h["step"] for h in metrics["history"]] == [4, 8]


def test_bc_student_starts_from_theta0_and_only_trains_the_actor(dataset, tiny_settings):
    theta0 = initial_parameters("CartPole-v1", tiny_settings, 5)
    policy, _ = train_bc("CartPole-v1", tiny_settings, 5, dataset, bc_budget(1, 64, 1e-3, 1, 1), theta0=theta0)
    state = policy.state_dict()
    assert torch.equal(state["value_net.weight"], theta0["value_net.weight"])
    assert not torch.equal(state["action_net.weight"], theta0["action_net.weight"])
    assert set(dense_masks(policy)) <= set(state)


def test_bc_level_keeps_pruned_weights_zero(dataset, tiny_settings):
    theta0 = initial_parameters("CartPole-v1", tiny_settings, 0)
    imp = ImpSettings(prune_fraction=0.5, prune_critic=False, rewind="init")
    level0, level1 = LevelId("bc", "CartPole-v1", 0, 0), LevelId("bc", "CartPole-v1", 0, 1)
    masks0, weights0, _ = run_level(level0, tiny_settings, imp, theta0, dataset=dataset)
    masks1, weights1, metrics = run_level(level1, tiny_settings, imp, theta0, (masks0, weights0), dataset=dataset)
    assert metrics["fraction_remaining"] == pytest.approx(0.5, abs=1e-3)
    last3 = np.mean([h["mean_return"] for h in metrics["history"][-3:]])
    assert level_row(metrics)["last3_return"] == pytest.approx(last3)  # imp.csv reads the BC history as before
    for name, mask in masks1.items():
        assert torch.all(weights1[name][~mask] == 0)


def test_corrupt_dataset_names_the_file_and_rule(tmp_path, dataset):
    path = tmp_path / "results" / "bc_data" / "CartPole-v1" / "seed0.npz"
    save_npz(path, **dataset)
    assert load_npz(path, required=("observations", "actions"))["actions"].shape == (600,)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ArtifactError, match=r"seed0\.npz.*collect_bc_dataset"):
        load_npz(path)


def test_policy_matches_rl_actor_architecture(tiny_settings):
    rl_policy = make_ppo("CartPole-v1", tiny_settings, 0).policy
    shapes = {k: tuple(v.shape) for k, v in rl_policy.state_dict().items()}
    theta0 = initial_parameters("CartPole-v1", tiny_settings, 0)
    assert shapes == {k: tuple(v.shape) for k, v in theta0.items()}


def test_continuous_bc_regresses_the_expert_mean_action():
    """Pendulum-v1 (Gaussian policy): float actions in the dataset, MSE on the mean action, masked mean network."""
    from conftest import ci_task_settings

    settings = ci_task_settings("Pendulum-v1")
    expert, _ = train_ppo(
        "Pendulum-v1", settings, 0, PpoBudget(total_timesteps=1024, eval_every_steps=1024, eval_episodes=1)
    )
    data = collect_expert_dataset(expert, "Pendulum-v1", 0, 400)
    assert data["actions"].dtype == np.float32 and data["actions"].shape == (400, 1)
    assert np.all(np.abs(data["actions"]) <= 2.0)  # the deterministic action as the env receives it (clipped)
    theta0 = initial_parameters("Pendulum-v1", settings, 0)
    masks = {
        k: (torch.rand(m.shape, generator=torch.Generator().manual_seed(0)) < 0.5)
        for k, m in dense_masks(theta0).items()
    }
    assert "log_std" not in masks  # only weight matrices of the mean network are prunable
    observations, actions = torch.as_tensor(data["observations"]), torch.as_tensor(data["actions"])
    assert policy_agreement(expert.policy, observations, actions) == 0.0  # mean |Δ| of the clipped mean action
    noisy = collect_expert_dataset(expert, "Pendulum-v1", 0, 400, action_noise=0.2)
    assert not np.array_equal(noisy["observations"], data["observations"])
    assert np.array_equal(noisy["actions"], expert.predict(noisy["observations"], deterministic=True)[0])
    policy, metrics = train_bc(
        "Pendulum-v1", settings, 0, data, bc_budget(6, 64, 1e-3, 3, 1), theta0=theta0, masks=masks
    )
    assert metrics["loss_per_epoch"][-1] < metrics["loss_per_epoch"][0]
    for name, mask in masks.items():
        assert torch.all(policy.state_dict()[name][~mask] == 0)


# ---- validation split, plateau rule, agreement ----
def test_validation_split_is_reproducible_disjoint_and_seed_dependent():
    train, val = validation_split(600, 0.1, seed=3)
    again_train, again_val = validation_split(600, 0.1, seed=3)
    assert torch.equal(train, again_train) and torch.equal(val, again_val)
    assert len(val) == 60 and len(train) == 540
    assert set(train.tolist()).isdisjoint(val.tolist())
    assert sorted(train.tolist() + val.tolist()) == list(range(600))
    assert not torch.equal(val, validation_split(600, 0.1, seed=4)[1])
    no_train, no_val = validation_split(600, 0.0, seed=3)
    assert len(no_val) == 0 and torch.equal(no_train, torch.arange(600))


def test_plateau_stopper_stops_each_network_on_its_own():
    stopper = PlateauStopper(3, max_epochs=10, patience=2)
    # network 0 keeps improving, network 1 plateaus after epoch 2, network 2 never has a finite loss
    losses = [[5.0, 4.0, np.nan], [4.0, 3.0, np.nan], [3.0, 3.0, np.nan], [2.0, 3.5, np.nan], [1.0, 9.0, np.nan]]
    improved = [stopper.update(row).tolist() for row in losses]
    assert improved[:2] == [[True, True, False], [True, True, False]]
    assert improved[2:4] == [[True, False, False], [True, False, False]]
    assert stopper.stopped_epoch.tolist() == [0, 4, 2]  # network 1: 2 epochs past its best (2); network 2 at 2
    assert stopper.best_epoch.tolist() == [5, 2, 0] and stopper.best_loss[1] == 3.0
    for epoch in range(6, 11):
        stopper.update([1.0 - epoch / 20, 0.0, 0.0])  # losses of stopped networks are ignored
    assert stopper.done and stopper.stopped_epoch.tolist() == [10, 4, 2] and stopper.best_loss[1] == 3.0
    with pytest.raises(RuntimeError):
        stopper.update([0.0, 0.0, 0.0])


def test_fixed_stopper_runs_every_epoch_and_tracks_the_best():
    stopper = PlateauStopper(1, max_epochs=6, patience=1, rule="fixed")
    for loss in [3.0, 1.0, 2.0, 2.0, 2.0, 2.0]:
        assert not stopper.done
        stopper.update([loss])
    assert stopper.done and stopper.stopped_epoch[0] == 6 and stopper.best_epoch[0] == 2


def test_plateau_stops_before_the_max_and_returns_the_best_validation_network(dataset, tiny_settings):
    budget = bc_budget(300, 64, 1e-2, eval_every_epochs=1000, eval_episodes=2, patience=3)
    policy, metrics = train_bc("CartPole-v1", tiny_settings, 0, dataset, budget)
    stopped, best = metrics["stopped_epoch"], metrics["best_epoch"]
    assert stopped < 300 and stopped == best + 3
    assert len(metrics["loss_per_epoch"]) == len(metrics["val_loss_per_epoch"]) == stopped
    assert metrics["best_val_loss"] == min(metrics["val_loss_per_epoch"]) == metrics["val_loss_per_epoch"][best - 1]
    # the returned network is the best-validation one, and the evaluation at the stop evaluates it
    _, val = validation_split(len(dataset["actions"]), 0.1, 0)
    observations, actions = torch.as_tensor(dataset["observations"]), torch.as_tensor(dataset["actions"])
    with torch.no_grad():
        val_loss = imitation_loss("CartPole-v1")(action_logits(policy, observations[val]), actions[val]).item()
    assert val_loss == pytest.approx(metrics["best_val_loss"], rel=1e-5)
    assert [(h["step"], h["weights_epoch"]) for h in metrics["history"]] == [(stopped, best)]
    assert metrics["final_return"] == metrics["history"][-1]["mean_return"]
    assert 0.5 < metrics["train_agreement"] <= 1 and 0.5 < metrics["val_agreement"] <= 1
    json.dumps(metrics, allow_nan=False)  # metrics.json: plain JSON, no NaN


def test_fixed_runs_all_epochs_and_returns_the_last_network(dataset, tiny_settings):
    budget = bc_budget(6, 64, 1e-2, eval_every_epochs=2, eval_episodes=2, stopping="fixed", patience=1)
    policy, metrics = train_bc("CartPole-v1", tiny_settings, 0, dataset, budget)
    assert metrics["stopped_epoch"] == 6 and len(metrics["loss_per_epoch"]) == 6
    assert [(h["step"], h["weights_epoch"]) for h in metrics["history"]] == [(2, 2), (4, 4), (6, 6)]
    _, val = validation_split(len(dataset["actions"]), 0.1, 0)
    with torch.no_grad():
        logits = action_logits(policy, torch.as_tensor(dataset["observations"])[val])
        val_loss = imitation_loss("CartPole-v1")(logits, torch.as_tensor(dataset["actions"])[val]).item()
    assert val_loss == pytest.approx(metrics["val_loss_per_epoch"][-1], rel=1e-5)


def test_plateau_without_a_validation_split_is_refused(dataset, tiny_settings):
    with pytest.raises(ValueError, match="validation_fraction"):
        train_bc("CartPole-v1", tiny_settings, 0, dataset, bc_budget(2, 64, 1e-3, 1, 1, validation_fraction=0.0))


def test_agreement_is_one_for_the_expert_and_lower_for_an_untrained_student(expert, dataset, tiny_settings):
    observations, actions = torch.as_tensor(dataset["observations"]), torch.as_tensor(dataset["actions"])
    assert policy_agreement(expert.policy, observations, actions) == 1.0
    untrained = make_ppo("CartPole-v1", tiny_settings, 7).policy
    assert policy_agreement(untrained, observations, actions) < 1.0


# ---- noisy-expert (DART-style) data ----
def deterministic_expert_rollout(expert, task_id, seed, n_transitions):
    """The dataset as the collection made it before `action_noise` existed: 8 envs stepped with the expert's
    deterministic action, (observation, that action) recorded."""
    env = make_vec_env(task_id, n_envs=8, seed=seed + DATASET_SEED_OFFSET)
    observations, actions, obs = [], [], env.reset()
    while sum(map(len, observations)) < n_transitions:
        action, _ = expert.predict(obs, deterministic=True)
        observations.append(obs.copy())
        actions.append(action.copy())
        obs, *_ = env.step(action)
    return np.concatenate(observations)[:n_transitions], np.concatenate(actions)[:n_transitions]


def test_action_noise_zero_is_the_deterministic_expert_bit_for_bit(expert, dataset):
    observations, actions = deterministic_expert_rollout(expert, "CartPole-v1", 0, 600)
    assert np.array_equal(dataset["observations"], observations.astype(np.float32))
    assert np.array_equal(dataset["actions"], actions.astype(np.int64))
    explicit = collect_expert_dataset(expert, "CartPole-v1", 0, 600, action_noise=0.0)
    assert all(np.array_equal(explicit[k], dataset[k]) for k in dataset)


def test_action_noise_changes_the_states_but_not_the_labels(expert, dataset):
    noisy = collect_expert_dataset(expert, "CartPole-v1", 0, 600, action_noise=0.3)
    assert noisy["observations"].shape == dataset["observations"].shape
    first_envs = slice(0, 8)  # the reset observations are the same; the noise shows from the first step on
    assert np.array_equal(noisy["observations"][first_envs], dataset["observations"][first_envs])
    assert not np.array_equal(noisy["observations"], dataset["observations"])
    labels, _ = expert.predict(noisy["observations"], deterministic=True)
    assert np.array_equal(noisy["actions"], labels)  # every label is the expert's clean action in that state
    again = collect_expert_dataset(expert, "CartPole-v1", 0, 600, action_noise=0.3)
    assert all(np.array_equal(again[k], noisy[k]) for k in noisy)


def test_perturbed_actions_follow_the_noise_model():
    rng = np.random.default_rng(0)
    expert_actions = np.zeros(20_000, dtype=np.int64)
    discrete = perturbed_actions(expert_actions, spaces.Discrete(4), 0.4, rng)
    assert np.mean(discrete != 0) == pytest.approx(0.4 * 3 / 4, abs=0.01)  # a random action may equal the expert's
    assert set(np.unique(discrete)) == {0, 1, 2, 3}
    box = spaces.Box(low=np.array([-2.0, 0.0], dtype=np.float32), high=np.array([2.0, 1.0], dtype=np.float32))
    centre = np.tile(np.array([0.0, 0.5], dtype=np.float32), (20_000, 1))
    continuous = perturbed_actions(centre, box, 0.05, rng)
    assert continuous.dtype == np.float32
    assert np.std(continuous - centre, axis=0) == pytest.approx([0.05 * 4, 0.05 * 1], rel=0.05)
    clipped = perturbed_actions(centre, box, 1.0, rng)
    assert np.all(clipped >= box.low) and np.all(clipped <= box.high) and np.any(clipped == box.high)
