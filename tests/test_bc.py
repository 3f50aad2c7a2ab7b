"""Behavioural cloning: dataset from a real expert rollout, the loss falls, the student shares θ0."""

import numpy as np
import pytest
import torch

from rltickets.bc.dataset import check_dataset, collect_expert_dataset
from rltickets.core.cloning import train_bc
from rltickets.core.masking import dense_masks
from rltickets.core.ppo import initial_parameters, make_ppo, train_ppo
from rltickets.imp.level import LevelId, run_level
from rltickets.infra.artifacts import ArtifactError, load_npz, save_npz
from rltickets.infra.settings import BcBudget, ImpSettings, PpoBudget


def bc_budget(epochs, batch_size, learning_rate, eval_every_epochs, eval_episodes):
    return BcBudget(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        eval_every_epochs=eval_every_epochs,
        eval_episodes=eval_episodes,
    )


@pytest.fixture(scope="module")
def dataset():
    from conftest import ci_task_settings

    settings = ci_task_settings("CartPole-v1")
    expert, _ = train_ppo(
        "CartPole-v1", settings, 0, PpoBudget(total_timesteps=4096, eval_every_steps=4096, eval_episodes=2)
    )
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
    policy, metrics = train_bc(
        "Pendulum-v1", settings, 0, data, bc_budget(6, 64, 1e-3, 3, 1), theta0=theta0, masks=masks
    )
    assert metrics["loss_per_epoch"][-1] < metrics["loss_per_epoch"][0]
    for name, mask in masks.items():
        assert torch.all(policy.state_dict()[name][~mask] == 0)
