"""Init rescaling `obs_standardized`: statistics from the expert data, the same standardised observation stream in the
batched engine and in stable-baselines3, and level-0 networks of both backends seeing standardised inputs."""

import dataclasses

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.policies import BaseModel

from rltickets.bc.dataset import collect_expert_dataset
from rltickets.core.observations import STD_FLOOR, ObservationStandardization, stacked_affine
from rltickets.core.ppo import EVAL_SEED_OFFSET, initial_parameters, make_ppo
from rltickets.engine.policy import StackedPolicy
from rltickets.engine.vec_envs import make_batched_env
from rltickets.imp.level import LevelJob, SeedInputs, level_metrics, run_level_job
from rltickets.infra.settings import ImpSettings, PpoBudget

TASK = "CartPole-v1"


@pytest.fixture(scope="module")
def settings():
    from conftest import ci_task_settings

    base = ci_task_settings(TASK)
    return dataclasses.replace(
        base,
        rl=PpoBudget(total_timesteps=256, eval_every_steps=256, eval_episodes=2),
        bc=dataclasses.replace(base.need("bc"), epochs=1, eval_every_epochs=1, eval_episodes=2),
    )


@pytest.fixture(scope="module")
def dataset(settings):
    """Expert data as the pipeline collects it (an untrained expert: any policy's states will do here)."""
    return collect_expert_dataset(make_ppo(TASK, settings, 7), TASK, 0, 400)


def test_statistics_are_the_datasets_per_input_mean_and_floored_std(dataset, tmp_path):
    stats = ObservationStandardization.of_dataset(dataset)
    observations = dataset["observations"].astype(np.float64)
    assert stats.mean.dtype == np.float32 and stats.dim == observations.shape[1]
    np.testing.assert_allclose(stats.mean, observations.mean(axis=0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(stats.std, observations.std(axis=0), rtol=1e-6)
    # CartPole's inputs differ in scale, so the statistics are not one number for all inputs.
    assert len(set(stats.std.tolist())) == stats.dim
    standardized = stats.standardize_dataset(dataset)
    np.testing.assert_allclose(standardized["observations"].mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(standardized["observations"].std(axis=0), 1.0, rtol=1e-4)
    assert np.array_equal(standardized["actions"], dataset["actions"])  # the expert's labels stay
    # A constant input gets the floor, not a division by zero.
    constant = np.concatenate([observations, np.full((len(observations), 1), 3.0)], axis=1)
    floored = ObservationStandardization.of_observations(constant)
    assert floored.std[-1] == np.float32(STD_FLOOR) and floored.mean[-1] == np.float32(3.0)
    stats.save(tmp_path / "stats.pt")
    loaded = ObservationStandardization.load(tmp_path / "stats.pt")
    assert np.array_equal(loaded.mean, stats.mean) and np.array_equal(loaded.std, stats.std)


def test_engine_and_sb3_see_the_same_standardised_observation_stream(dataset):
    stats = ObservationStandardization.of_dataset(dataset)
    seed, n_envs, steps = 3, 4, 200
    sb3 = make_vec_env(TASK, n_envs=n_envs, seed=seed, **stats.sb3_wrapper())
    engine = make_batched_env(TASK, [seed], n_envs, stacked_affine([stats]))
    raw = make_batched_env(TASK, [seed], n_envs)
    sb3_obs, engine_obs, raw_obs = sb3.reset(), engine.reset(), raw.reset()
    assert torch.equal(torch.as_tensor(sb3_obs), engine_obs[0])
    assert torch.equal(engine_obs, (raw_obs - torch.from_numpy(stats.mean)) / torch.from_numpy(stats.std))
    assert not torch.allclose(engine_obs, raw_obs)
    actions = torch.Generator().manual_seed(0)
    episode_ends = 0
    for _ in range(steps):
        action = torch.randint(0, 2, (1, n_envs), generator=actions)
        sb3_obs, _, dones, infos = sb3.step(action[0].numpy())
        result, raw_result = engine.step(action), raw.step(action)
        assert torch.equal(torch.as_tensor(sb3_obs), result.observations[0])
        for i in np.flatnonzero(dones):
            episode_ends += 1
            terminal = torch.as_tensor(infos[i]["terminal_observation"])
            assert torch.equal(terminal, result.final_observations[0, i])
            assert not torch.allclose(terminal, raw_result.final_observations[0, i])
    assert episode_ends > 0  # the terminal observations were compared


def _rows_present(recorded: torch.Tensor, expected: torch.Tensor) -> torch.Tensor:
    """Per expected row: whether it occurs, exactly, among the recorded rows."""
    return (recorded[:, None, :] == expected[None, :, :]).all(-1).any(0)


def _reset_observations(seeds) -> torch.Tensor:
    return torch.stack([torch.as_tensor(gym.make(TASK).reset(seed=s)[0]) for s in seeds])


@pytest.mark.parametrize("backend", ["sb3", "batched"])
@pytest.mark.parametrize("paradigm", ["rl", "bc"])
def test_a_standardised_chains_level0_network_sees_standardised_inputs(
    settings, dataset, backend, paradigm, monkeypatch
):
    """Every observation reaching the network (training and evaluation) is recorded, in either backend: the
    first training envs' and first evaluation envs' reset observations (BC: also the training data) arrive
    standardised, never raw."""
    seed = 1
    stats = ObservationStandardization.of_dataset(dataset)
    recorded: list[torch.Tensor] = []

    def spy(original):
        def recording(self, obs, *args, **kwargs):
            recorded.append(obs.detach().reshape(-1, obs.shape[-1]).clone())
            return original(self, obs, *args, **kwargs)

        return recording

    # SB3: every policy input passes BaseModel.extract_features (rollouts, updates, predictions, BC).
    monkeypatch.setattr(BaseModel, "extract_features", spy(BaseModel.extract_features))
    monkeypatch.setattr(StackedPolicy, "actor", spy(StackedPolicy.actor))
    imp = ImpSettings(prune_fraction=0.2, prune_critic=False, rewind="init", backend=backend)
    job = LevelJob(paradigm, TASK, 0, (seed,), settings, imp)
    dataset = dataset if paradigm == "bc" else None
    (trained,) = run_level_job(job, [SeedInputs(initial_parameters(TASK, settings, seed), None, dataset, stats)])
    seen = torch.cat(recorded)
    n_eval = min(settings.need(paradigm).eval_episodes, 10)
    expected = [_reset_observations([seed + EVAL_SEED_OFFSET + i for i in range(n_eval)])]
    if paradigm == "rl":
        from rltickets.core.tasks import get_task

        expected.append(_reset_observations([seed + i for i in range(get_task(TASK).n_envs)]))
    else:
        expected.append(torch.as_tensor(dataset["observations"][:50]))
    mean, std = torch.from_numpy(stats.mean), torch.from_numpy(stats.std)
    for raw in expected:
        assert bool(_rows_present(seen, (raw - mean) / std).all())
        assert not bool(_rows_present(seen, raw).any())
    assert level_metrics(trained, imp)["observation_standardization"] == stats.describe()
