"""Batched PPO (rltickets.engine.ppo): SB3's hyper-parameters and GAE, batch independence, masks, learning."""

import dataclasses
import types

import numpy as np
import pytest
import torch
from conftest import ci_task_settings
from stable_baselines3.common.buffers import RolloutBuffer

from rltickets.core.masking import dense_masks
from rltickets.core.ppo import initial_parameters, make_ppo, train_ppo
from rltickets.core.pruning import prune_global_magnitude
from rltickets.core.tasks import get_task
from rltickets.engine.evaluation import evaluate_networks
from rltickets.engine.policy import NetworkSpec, StackedPolicy
from rltickets.engine.ppo import (
    ADAM_EPS,
    PpoHyperparameters,
    Rollout,
    compute_gae,
    make_optimizer,
    run_ppo,
    train_ppo_batched,
    update_epoch,
)
from rltickets.infra import numerics
from rltickets.infra.compare import TIMING
from rltickets.infra.settings import PpoBudget


def specs_for(task, settings, seeds, masked=()):
    """NetworkSpecs from each seed's θ0; seeds in `masked` get a 10 % global-magnitude mask of their θ0."""
    specs = []
    for seed in seeds:
        init = initial_parameters(task, settings, seed)
        masks = prune_global_magnitude(init, dense_masks(init), 0.9) if seed in masked else None
        specs.append(NetworkSpec(init, masks, seed))
    return specs


def without_wall_times(metrics):
    return {k: v for k, v in metrics.items() if not TIMING.search(k)}


@pytest.mark.parametrize("task", ["CartPole-v1", "Acrobot-v1", "Pendulum-v1"])
def test_hyperparameters_are_the_ones_sb3_gets(task):
    settings = ci_task_settings(task)
    model, hp = make_ppo(task, settings, 0), PpoHyperparameters.of(task, settings)
    for name in ("n_steps", "batch_size", "n_epochs", "gamma", "gae_lambda", "ent_coef", "vf_coef", "max_grad_norm"):
        assert getattr(hp, name) == getattr(model, name), name
    for progress in (1.0, 0.37, 0.0):
        assert hp.learning_rate(progress) == pytest.approx(model.lr_schedule(progress))
        assert hp.clip_range(progress) == pytest.approx(model.clip_range(progress))
    assert model.policy.optimizer.defaults["eps"] == ADAM_EPS


def test_gae_matches_sb3_rollout_buffer():
    import gymnasium as gym

    n_steps, n_envs, gamma, lam = 7, 3, 0.97, 0.9
    buffer = RolloutBuffer(n_steps, gym.spaces.Box(-1, 1, (2,)), gym.spaces.Discrete(2), "cpu", lam, gamma, n_envs)
    rng = np.random.default_rng(0)
    rewards, values = rng.normal(size=(n_steps, n_envs)), rng.normal(size=(n_steps, n_envs))
    starts = rng.random((n_steps, n_envs)) < 0.3
    for t in range(n_steps):
        buffer.add(
            np.zeros((n_envs, 2)), np.zeros((n_envs, 1)), rewards[t], starts[t], torch.tensor(values[t]), torch.zeros(3)
        )
    last_values, dones = torch.tensor(rng.normal(size=n_envs)), np.array([True, False, False])
    buffer.compute_returns_and_advantage(last_values, dones)
    advantages, returns = compute_gae(
        torch.tensor(rewards, dtype=torch.float32),
        torch.tensor(values, dtype=torch.float32),
        torch.tensor(starts, dtype=torch.float32),
        last_values.float(),
        torch.tensor(dones),
        gamma,
        lam,
    )
    np.testing.assert_allclose(advantages.numpy(), buffer.advantages, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(returns.numpy(), buffer.returns, rtol=1e-5, atol=1e-6)


def short_rollouts(settings, n_steps=64):
    return dataclasses.replace(settings, ppo={**settings.ppo_overrides, "n_steps": n_steps})


@pytest.mark.parametrize("matmul", ["torch", "openblas"])
@pytest.mark.parametrize("task, total", [("CartPole-v1", 768), ("Pendulum-v1", 768)])
def test_a_network_trains_identically_alone_and_in_a_batch(task, total, matmul, monkeypatch):
    """Bitwise: same weights, same evaluation history. Every op is per network (one-output layers elementwise,
    grad norms summed layer by layer, one generator per network, fresh eval envs per evaluation), on either
    backend of the matrix products (engine.matmul)."""
    monkeypatch.setenv(numerics.ENGINE_MATMUL, matmul)
    settings = ci_task_settings(task)
    settings = short_rollouts(settings) if task == "Pendulum-v1" else settings  # 3 iterations of 4 x 64 steps
    budget = PpoBudget(total_timesteps=total, eval_every_steps=total // 2, eval_episodes=2)
    batch = specs_for(task, settings, [3, 7, 8, 11], masked=[7, 11])
    together = train_ppo_batched(task, settings, budget, batch)
    for index in (0, 3):  # a dense and a masked network
        (alone_weights, alone_metrics), (weights, metrics) = (
            train_ppo_batched(task, settings, budget, [batch[index]])[0],
            together[index],
        )
        assert alone_weights.keys() == weights.keys()
        assert all(torch.equal(alone_weights[k], weights[k]) for k in weights)
        assert without_wall_times(alone_metrics) == without_wall_times(metrics)
    initial = batch[0].init
    assert not torch.equal(together[0][0]["action_net.weight"], initial["action_net.weight"])  # it did train
    if "log_std" in initial:
        assert not torch.equal(together[0][0]["log_std"], initial["log_std"])


def test_metrics_are_those_of_sb3_train_ppo(tiny_settings):
    budget = tiny_settings.rl
    _, sb3_metrics = train_ppo("CartPole-v1", tiny_settings, 0, budget)
    (weights, metrics), *_ = train_ppo_batched(
        "CartPole-v1", tiny_settings, budget, specs_for("CartPole-v1", tiny_settings, [0])
    )
    assert set(sb3_metrics) <= set(metrics)
    assert [h["step"] for h in metrics["history"]] == [h["step"] for h in sb3_metrics["history"]]
    assert metrics["train_steps"] == sb3_metrics["train_steps"]
    assert metrics["best_return"] == max(h["mean_return"] for h in metrics["history"])
    policy = make_ppo("CartPole-v1", tiny_settings, 1).policy
    policy.load_state_dict(weights)  # the trained weights load into SB3 as they are


@pytest.mark.parametrize("matmul", ["torch", "openblas"])
def test_pruned_weights_and_their_adam_moments_stay_zero(matmul, monkeypatch):
    monkeypatch.setenv(numerics.ENGINE_MATMUL, matmul)
    task, settings = "CartPole-v1", ci_task_settings("CartPole-v1")
    specs = specs_for(task, settings, [0, 1], masked=[0, 1])
    hp = PpoHyperparameters.of(task, settings)
    policy = StackedPolicy.from_specs(specs, settings.network.activation)
    optimizer = make_optimizer(policy, hp)
    run_ppo(task, hp, PpoBudget(total_timesteps=512, eval_every_steps=512, eval_episodes=1), policy, optimizer, [0, 1])
    for n, spec in enumerate(specs):
        trained = policy.state_dict_of(n)
        for name, mask in spec.masks.items():
            param = policy.param(name)
            pruned = ~mask.T.bool()  # stacked weights are [in, out]
            assert torch.all(param[n][pruned] == 0)
            assert torch.all(optimizer.state[param]["exp_avg"][n][pruned] == 0)
            assert torch.all(optimizer.state[param]["exp_avg_sq"][n][pruned] == 0)
            assert torch.all(trained[name][~mask] == 0)
            survivors = mask.bool()
            assert not torch.equal(trained[name][survivors], (spec.init[name] * mask)[survivors])


def test_cartpole_improves_over_theta0():
    """4 networks, 4096 steps each: the mean final return must beat θ0's by far (θ0 ≈ 10-20, trained ≈ 100+)."""
    task, settings = "CartPole-v1", ci_task_settings("CartPole-v1")
    seeds = [10, 11, 12, 13]
    specs = specs_for(task, settings, seeds)
    initial, _ = evaluate_networks(StackedPolicy.from_specs(specs, "relu"), task, seeds, 5, 0)
    budget = PpoBudget(total_timesteps=4096, eval_every_steps=4096, eval_episodes=5)
    final = np.array([m["final_return"] for _, m in train_ppo_batched(task, settings, budget, specs)])
    assert final.mean() > max(3 * initial.mean(), 50), (initial, final)


def test_gaussian_head_on_pendulum_clips_env_actions_and_loads_into_sb3(monkeypatch):
    task = "Pendulum-v1"
    settings = short_rollouts(ci_task_settings(task))
    from rltickets.engine import evaluation

    seen = []
    original = evaluation.env_actions

    def recording(env, actions):
        clipped = original(env, actions)
        seen.append((actions.abs().max().item(), clipped.abs().max().item()))
        return clipped

    monkeypatch.setattr("rltickets.engine.ppo.env_actions", recording)
    budget = PpoBudget(total_timesteps=512, eval_every_steps=256, eval_episodes=2)
    results = train_ppo_batched(task, settings, budget, specs_for(task, settings, [0, 1], masked=[1]))
    assert max(clipped for _, clipped in seen) <= 2.0 < max(raw for raw, _ in seen)  # Pendulum's box is [-2, 2]
    for weights, metrics in results:
        assert [h["step"] for h in metrics["history"]] == [256, 512]
        assert all(np.isfinite(h["mean_return"]) and h["mean_return"] < 0 for h in metrics["history"])
        make_ppo(task, settings, 0).policy.load_state_dict(weights)


@pytest.mark.parametrize("task", ["CartPole-v1", "Pendulum-v1"])
def test_update_equals_sb3_train_on_the_same_rollout_and_minibatch_order(task, monkeypatch):
    """SB3 collects a rollout; SB3's PPO.train() and engine.ppo.update_epoch then learn from it with the same
    minibatch order (two identical networks in the batch). Same losses, clipping and Adam: equal up to float
    rounding (nn.Linear vs baddbmm)."""
    overrides = {"n_steps": 64 if task == "Pendulum-v1" else 32, "batch_size": 64, "n_epochs": 3, "ent_coef": 0.01}
    base = ci_task_settings(task)
    settings = dataclasses.replace(base, ppo={**base.ppo_overrides, **overrides})
    model = make_ppo(task, settings, 4)
    _, callback = model._setup_learn(10_000, None)
    model.collect_rollouts(model.env, callback, model.rollout_buffer, n_rollout_steps=model.n_steps)
    buffer, policy_state = model.rollout_buffer, {k: v.clone() for k, v in model.policy.state_dict().items()}

    def flat(array):  # [n_steps, n_envs, ...] -> [2, n_envs * n_steps, ...], env-major, the same for both networks
        x = torch.as_tensor(array.swapaxes(0, 1).reshape(-1, *array.shape[2:]))
        return torch.stack([x, x])

    discrete = not torch.is_floating_point(torch.as_tensor(model.action_space.sample()))
    actions = flat(buffer.actions)
    rollout = Rollout(
        flat(buffer.observations),
        actions.squeeze(-1).long() if discrete else actions,
        flat(buffer.log_probs),
        flat(buffer.advantages),
        flat(buffer.returns),
    )
    size = rollout.returns.shape[1]
    orders = [torch.randperm(size, generator=torch.Generator().manual_seed(e)) for e in range(3)]
    permutations = iter(order.numpy() for order in orders)
    monkeypatch.setattr("stable_baselines3.common.buffers.np.random.permutation", lambda n: next(permutations))
    model._current_progress_remaining = 0.6
    model.train()

    hp = PpoHyperparameters.of(task, settings)
    stacked = StackedPolicy.from_state_dicts([policy_state, policy_state], activation=settings.network.activation)
    optimizer = make_optimizer(stacked, hp)
    for group in optimizer.param_groups:
        group["lr"] = hp.learning_rate(0.6)
    for order in orders:
        update_epoch(stacked, optimizer, rollout, torch.stack([order, order]), hp, hp.clip_range(0.6))
    for n in range(2):
        engine = stacked.state_dict_of(n)
        for name, value in model.policy.state_dict().items():
            assert not torch.equal(value, policy_state[name]) or name.endswith("bias"), name  # SB3 did train
            torch.testing.assert_close(engine[name], value, rtol=1e-4, atol=1e-5, msg=name)


def test_ppo_arguments_the_engine_does_not_implement_are_refused():
    base = ci_task_settings("CartPole-v1")
    for extra in ({"target_kl": 0.01}, {"clip_range_vf": 0.2}, {"sde_sample_freq": 4}):
        with pytest.raises(ValueError, match="batched PPO"):
            PpoHyperparameters.of("CartPole-v1", dataclasses.replace(base, ppo={**base.ppo_overrides, **extra}))


@pytest.mark.parametrize("task", ["CartPole-v1", "Pendulum-v1"])
def test_rollout_equals_sb3_collect_rollouts_with_deterministic_actions(task, monkeypatch):
    """With the sampling replaced by the deterministic action in both, one rollout from the same θ0 and env seeds
    gives SB3's buffer: observations, rewards with the γ·V(terminal) bootstrap of truncated episodes (Pendulum's
    200-step limit falls inside the rollout), episode starts, values, GAE advantages and returns."""
    from stable_baselines3.common.policies import ActorCriticPolicy

    from rltickets.engine import ppo as engine_ppo

    settings = ci_task_settings(task)  # Pendulum: 4 envs x 256 steps; CartPole: 8 x 32
    model = make_ppo(task, settings, 5)
    theta0 = {k: v.clone() for k, v in model.policy.state_dict().items()}
    monkeypatch.setattr(
        model.policy,
        "forward",
        lambda obs, deterministic=False: ActorCriticPolicy.forward(model.policy, obs, deterministic=True),
    )
    _, callback = model._setup_learn(10_000, None)
    model.collect_rollouts(model.env, callback, model.rollout_buffer, n_rollout_steps=model.n_steps)
    buffer = model.rollout_buffer

    captured = {}

    def capturing_gae(rewards, values, episode_starts, *args):
        captured.update(rewards=rewards.clone(), values=values.clone(), starts=episode_starts.clone())
        captured["advantages"], captured["returns"] = compute_gae(rewards, values, episode_starts, *args)
        return captured["advantages"], captured["returns"]

    monkeypatch.setattr(engine_ppo, "compute_gae", capturing_gae)
    monkeypatch.setattr(StackedPolicy, "sample", lambda self, actor_out, generators: self.deterministic(actor_out))
    hp = PpoHyperparameters.of(task, settings)
    one_rollout = hp.n_steps * model.n_envs
    budget = PpoBudget(total_timesteps=one_rollout, eval_every_steps=one_rollout, eval_episodes=1)
    train_ppo_batched(task, settings, budget, [NetworkSpec(theta0, None, 5)])
    if task == "Pendulum-v1":
        assert buffer.episode_starts[1:].any()  # a truncation happened inside the rollout
    for name, sb3 in [
        ("rewards", buffer.rewards),
        ("values", buffer.values),
        ("starts", buffer.episode_starts),
        ("advantages", buffer.advantages),
        ("returns", buffer.returns),
    ]:
        np.testing.assert_allclose(captured[name][:, 0].numpy(), sb3, rtol=1e-4, atol=1e-4, err_msg=name)


@pytest.mark.parametrize("masked", [False, True])
def test_training_equals_sb3_train_ppo_on_the_same_random_numbers(masked, monkeypatch):
    """Whole runs (8 iterations, evaluations, lr and clip-range schedules, Adam state across iterations): SB3's
    action sampling and minibatch permutations are replaced by the engine's draws from one torch.Generator seeded
    with the stream seed (same draws, same order), so `core.ppo.train_ppo` and the engine see the same random
    numbers. The weights then agree to float rounding after every iteration, so the iteration-level logic (progress
    of the schedules, number of iterations, Adam carried over) is SB3's."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.policies import ActorCriticPolicy

    task, seed = "CartPole-v1", 3
    settings = ci_task_settings(task)
    [spec] = specs_for(task, settings, [seed], masked=[seed] if masked else [])
    generator = torch.Generator().manual_seed(seed)
    discrete = types.SimpleNamespace(continuous=False)

    def engine_sampling_forward(self, obs, deterministic=False):
        latent_pi, latent_vf = self.mlp_extractor(self.extract_features(obs))
        logits = self.action_net(latent_pi)
        actions = StackedPolicy.sample(discrete, logits.unsqueeze(0), [generator])[0]  # the engine's sampling
        return actions, self.value_net(latent_vf), self._get_action_dist_from_latent(latent_pi).log_prob(actions)

    monkeypatch.setattr(ActorCriticPolicy, "forward", engine_sampling_forward)
    monkeypatch.setattr(
        "stable_baselines3.common.buffers.np.random.permutation",
        lambda n: torch.randperm(n, generator=generator).numpy(),
    )
    sb3_weights = []
    sb3_train = PPO.train

    def recording_train(self):
        sb3_train(self)
        sb3_weights.append({k: v.detach().clone() for k, v in self.policy.state_dict().items()})

    monkeypatch.setattr(PPO, "train", recording_train)
    hp = PpoHyperparameters.of(task, settings)
    iterations = 8
    rollout_size = hp.n_steps * get_task(task).n_envs
    # a budget that is not a multiple of the rollout: the last iteration runs past it, as SB3's does
    total = iterations * rollout_size - 7
    budget = PpoBudget(total_timesteps=total, eval_every_steps=3 * rollout_size, eval_episodes=2)
    model, sb3_metrics = train_ppo(task, settings, seed, budget, theta0=spec.init, masks=spec.masks)

    engine_weights = []
    engine_update = run_ppo.__globals__["update_epoch"]
    last_rollout = []

    def recording_update(policy, optimizer, rollout, *args):
        if last_rollout and rollout is not last_rollout[-1]:
            engine_weights.append(policy.state_dict_of(0))  # after the previous iteration's update
        last_rollout.append(rollout)
        engine_update(policy, optimizer, rollout, *args)

    monkeypatch.setattr("rltickets.engine.ppo.update_epoch", recording_update)
    [(weights, metrics)] = train_ppo_batched(task, settings, budget, [spec])
    engine_weights.append(weights)

    assert len(sb3_weights) == len(engine_weights) == iterations
    for sb3, engine in zip(sb3_weights, engine_weights, strict=True):
        for name, value in sb3.items():
            torch.testing.assert_close(engine[name], value, rtol=1e-4, atol=1e-5, msg=name)
    assert not torch.equal(weights["action_net.weight"], spec.init["action_net.weight"])  # it did train
    assert metrics["train_steps"] == sb3_metrics["train_steps"] == model.num_timesteps
    assert [h["step"] for h in metrics["history"]] == [h["step"] for h in sb3_metrics["history"]]
    # the first evaluation runs on SB3's eval env seeds (later ones on fresh envs, engine.evaluation)
    assert metrics["history"][0]["mean_return"] == sb3_metrics["history"][0]["mean_return"]
