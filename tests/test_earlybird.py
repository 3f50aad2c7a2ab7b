"""The thesis' DQN and the Early-Bird study: appendix B step by step, masks, detectors, runs and verdicts."""

import copy
import math

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import load_config
from stable_baselines3.common.callbacks import BaseCallback

from rltickets.earlybird.dqn import DqnAgent, EpisodeProtocol, make_dqn, q_network_weights, train_dqn
from rltickets.earlybird.masks import flatten_mask, mask_similarity, similarity_matrix, unpack_checkpoint
from rltickets.earlybird.runs import PrunedRun, draw_mask, eb_point_found, run_dense, run_eb_exploit, run_pruned
from rltickets.earlybird.tables import (
    eb_existence,
    exploitation_start,
    mask_stability_table,
    repetition_criteria,
    runs_table,
    stabilisation_episode,
    verdict_table,
)
from rltickets.infra.settings import DqnProtocol, DqnTask, DqnVariant, ExploitSettings

# Appendices A and B of the thesis, transcribed (the config must say exactly this).
APPENDIX = {
    "CartPole-v0": dict(
        hidden=[128, 128],
        learning_rate=0.0025,
        batch_size=32,
        buffer_size=1000,
        learning_starts=200,
        train_freq=4,
        gamma=0.99,
        epsilon=dict(start=1.0, min=0.01, decay=0.95, per="episode"),
        acceptable_return=200,
    ),
    "Acrobot-v1": dict(
        hidden=[128],
        learning_rate=0.001,
        batch_size=64,
        buffer_size=2000,
        learning_starts=1000,
        train_freq=1,
        gamma=0.99,
        epsilon=dict(start=1.0, min=0.01, decay=0.999, per="step"),
        acceptable_return=-100,
    ),
}
DQN_VARIANT = DqnVariant(loss="mse", max_grad_norm=None, uniform_warmup=False)


def thesis_settings(task):
    return copy.deepcopy(load_config()["earlybird"]["task_settings"][task])


def agent(task: str, settings: dict, seed: int) -> DqnAgent:
    """The thesis' agent of `task` with the (possibly edited) settings mapping `settings`."""
    return DqnAgent(task, DqnTask.from_dict(settings), DQN_VARIANT, seed)


@pytest.mark.parametrize("config_file", ["config.yaml", "configs/paper.yaml"])
def test_configs_hold_appendix_b(config_file):
    eb = load_config(config_file)["earlybird"]
    for task, expected in APPENDIX.items():
        assert {k: eb["task_settings"][task][k] for k in expected} == expected
    assert eb["max_episodes"] == 500 and eb["early_stopping_window"] == 10 and eb["test_episodes"] == 100
    # The thesis prunes P = 0.2, 0.4, 0.6, 0.8; the workstation default runs a subset of them.
    assert set(eb["prune_fractions"]) <= {0.2, 0.4, 0.6, 0.8}


def test_paper_config_has_the_thesis_scale():
    eb = load_config("configs/paper.yaml")["earlybird"]
    assert eb["repetitions"] == 10
    assert eb["prune_fractions"] == [0.2, 0.4, 0.6, 0.8]
    assert eb["prune_episodes"] == [5, 20, 30, 40, 50, 75, 100, 130, 180, 250, 400, 500]


def test_network_is_appendix_a():
    model = make_dqn(agent("CartPole-v0", thesis_settings("CartPole-v0"), seed=0))
    shapes = [tuple(w.shape) for w in q_network_weights(model).values()]
    assert shapes == [(128, 4), (128, 128), (2, 128)]
    assert isinstance(model.policy.optimizer, torch.optim.Adam)
    assert model.policy.optimizer.param_groups[0]["lr"] == 0.0025
    model = make_dqn(agent("Acrobot-v1", thesis_settings("Acrobot-v1"), seed=0))
    assert [tuple(w.shape) for w in q_network_weights(model).values()] == [(128, 6), (3, 128)]


class ScheduleProbe(BaseCallback):
    """At every environment step: the ε the action was drawn with, the gradient updates so far, and whether the
    target network equals the online network as it was at the end of the previous episode."""

    def __init__(self):
        super().__init__()
        self.steps = []  # (global step, episode index, epsilon, n_updates, target matches)
        self.episode = 0
        self.reference = None

    def _on_training_start(self):
        self.reference = {k: v.clone() for k, v in self.model.q_net.state_dict().items()}

    def _on_step(self):
        target = self.model.q_net_target.state_dict()
        matches = all(torch.equal(target[k], v) for k, v in self.reference.items())
        self.steps.append(
            (self.num_timesteps, self.episode, self.model.exploration_rate, self.model._n_updates, matches)
        )
        if self.locals["dones"][0]:
            self.episode += 1
            # The target copy happens right after this step: remember what it must equal from now on.
            self.reference = {k: v.clone() for k, v in self.model.q_net.state_dict().items()}
        return True


def run_probe(task, episodes):
    settings = thesis_settings(task)
    model = make_dqn(agent(task, settings, seed=3))
    probe = ScheduleProbe()
    protocol = EpisodeProtocol(episodes, settings["acceptable_return"], 10, early_stopping=False)
    model.learn(total_timesteps=10**9, callback=[probe, protocol])
    return settings, model, probe, protocol


def expected_updates(step, learning_starts, train_freq):
    """SB3 trains after each block of `train_freq` steps once more than `learning_starts` steps were taken;
    at step t (before its own block ends) the blocks ending at 4, 8, ... < t have been trained."""
    return sum(1 for end in range(train_freq, step, train_freq) if end > learning_starts)


def test_cartpole_schedule_matches_appendix_b_step_by_step():
    settings, model, probe, protocol = run_probe("CartPole-v0", episodes=14)
    assert sum(protocol.lengths) > settings["learning_starts"] + 40  # the run reaches the learning phase
    for step, episode, epsilon, n_updates, target_matches in probe.steps:
        assert epsilon == pytest.approx(max(0.01, 0.95**episode), rel=1e-12), (step, episode)
        assert n_updates == expected_updates(step, 200, 4), step
        assert target_matches, f"target net is not the online net of the last episode end at step {step}"
    # one copy after every episode but the last (training stops at its final step, before the copy)
    assert model.target_updates == 13 and protocol.episodes == 14
    assert protocol.epsilons == pytest.approx([0.95**k for k in range(14)])
    # the online network did learn, so "target matches" was not trivially true
    assert model._n_updates > 10


def test_acrobot_schedule_matches_appendix_b_step_by_step():
    settings, model, probe, protocol = run_probe("Acrobot-v1", episodes=3)
    assert sum(protocol.lengths) > settings["learning_starts"] + 50
    for step, _episode, epsilon, n_updates, target_matches in probe.steps:
        # the action at global step t (1-based here) was drawn with ε = max(0.01, 0.999^(t-1))
        assert epsilon == pytest.approx(max(0.01, 0.999 ** (step - 1)), rel=1e-9), step
        assert n_updates == expected_updates(step, 1000, 1), step
        assert target_matches, step
    assert model.target_updates == 2


def test_per_step_epsilon_floors_at_the_minimum():
    settings = thesis_settings("Acrobot-v1")
    model = make_dqn(agent("Acrobot-v1", settings, seed=0))
    model.exploration_rate = 0.0100001
    model._episode_ended = False
    model._on_step()
    model._on_step()
    assert model.exploration_rate == 0.01


class FakeModel:
    exploration_rate = 0.5


def feed(protocol, returns):
    """Drive the protocol with one-step episodes of the given returns; the step at which it stopped, if any."""
    protocol.model = FakeModel()
    for i, r in enumerate(returns):
        protocol.locals = {"rewards": [r], "dones": [True]}
        if not protocol._on_step():
            return i + 1
    return None


def test_early_stopping_after_ten_consecutive_acceptable_episodes():
    returns = [200] * 9 + [150] + [200] * 10 + [200] * 5
    protocol = EpisodeProtocol(500, 200, 10, early_stopping=True)
    assert feed(protocol, returns) == 20 and protocol.early_stopped_at == 20
    # without early stopping the run goes on, but records where it would have stopped
    protocol = EpisodeProtocol(500, 200, 10, early_stopping=False)
    assert feed(protocol, returns) is None and protocol.early_stopped_at == 20
    # the episode cap
    protocol = EpisodeProtocol(7, 200, 10, early_stopping=True)
    assert feed(protocol, [0] * 20) == 7
    # Acrobot: >= -100 counts as acceptable
    protocol = EpisodeProtocol(500, -100, 10, early_stopping=True)
    assert feed(protocol, [-100] * 10) == 10


def test_mask_similarity_is_one_minus_normalised_hamming():
    a = {"w": torch.tensor([[1, 1, 0, 0]], dtype=torch.bool)}
    b = {"w": torch.tensor([[1, 0, 1, 0]], dtype=torch.bool)}
    assert mask_similarity(a, b) == 0.5 and mask_similarity(a, a) == 1.0
    rng = np.random.default_rng(0)
    stack = rng.random((6, 50)) < 0.4
    matrix = similarity_matrix(stack)
    for i in range(6):
        for j in range(6):
            assert matrix[i, j] == pytest.approx(mask_similarity(stack[i], stack[j]))


def test_draw_mask_prunes_fraction_of_all_weights_at_once():
    weights = {"a.weight": torch.arange(1.0, 7.0).reshape(2, 3), "b.weight": -torch.arange(7.0, 11.0).reshape(2, 2)}
    mask = draw_mask(weights, 0.6)  # 10 weights: prune ceil(6) = 6 smallest |w| globally
    assert int(flatten_mask(mask).sum()) == 4
    assert not mask["a.weight"].any() and mask["b.weight"].all()


def test_eb_detectors():
    base = np.zeros(100, dtype=bool)
    shifted = [np.roll(np.r_[np.ones(50, bool), np.zeros(50, bool)], k) for k in (0, 30, 33, 36, 39, 42)]
    # distances between successive shifted masks: 0.6, then 0.06 each
    assert not eb_point_found(shifted[:2], "consecutive", 0.1, 4)
    assert eb_point_found(shifted[:3], "consecutive", 0.1, 4)
    # EB Train: the newest (shift 42) against the previous 4 (shifts 30..39): distances 0.24, 0.18, 0.12, 0.06
    assert not eb_point_found(shifted, "eb_train", 0.1, 4)
    assert not eb_point_found(shifted, "eb_train", 0.2, 4)
    assert eb_point_found(shifted, "eb_train", 0.25, 4)
    assert not eb_point_found([base], "consecutive", 0.1, 4)
    with pytest.raises(ValueError, match="detector"):
        eb_point_found([base, base], "other", 0.1, 4)


def tiny_protocol(**overrides) -> DqnProtocol:
    return DqnProtocol.from_dict(
        {"max_episodes": 4, "early_stopping_window": 10, "test_episodes": 2, "mask_every": 2, **overrides}
    )


def test_dense_run_keeps_checkpoints_masks_and_reference():
    settings = thesis_settings("CartPole-v0")
    settings["learning_starts"] = 20
    protocol = tiny_protocol(prune_fractions=[0.2, 0.8], prune_episodes=[1, 3])
    result = run_dense(agent("CartPole-v0", settings, 1), protocol)
    assert sorted(result["checkpoints"]) == ["episode1", "episode3", "es"]
    masks = result["masks"]
    assert list(masks["episodes"]) == [2, 4] and masks["masks_P0.8"].shape == (2, 4 * 128 + 128 * 128 + 128 * 2)
    assert masks["masks_P0.8"].mean() == pytest.approx(0.2, abs=1e-3)
    log = result["log"]
    assert not log["reached_early_stopping"] and log["early_stopping_episode"] == 4  # capped: prune at the end
    assert log["checkpoint_epsilons"]["episode1"] == pytest.approx(0.95)
    assert log["checkpoint_epsilons"]["es"] == pytest.approx(0.95**4)
    # same seed, same run
    again = run_dense(agent("CartPole-v0", settings, 1), protocol)
    for key, tensor in result["checkpoints"]["episode3"].items():
        assert torch.equal(tensor, again["checkpoints"]["episode3"][key])


@pytest.mark.parametrize("mode", ["rewind", "finetune"])
def test_pruned_run_keeps_pruned_weights_zero_and_starts_where_it_should(mode):
    settings = thesis_settings("CartPole-v0")
    settings["learning_starts"] = 20
    dense = run_dense(agent("CartPole-v0", settings, 2), tiny_protocol(prune_fractions=[0.5], prune_episodes=[3]))
    checkpoint = dense["checkpoints"]["episode3"]
    mask, metrics = run_pruned(
        agent("CartPole-v0", settings, 2),
        tiny_protocol(),
        PrunedRun(mode, 0.5, finetune_epsilon="continue"),
        theta0=dense["theta0"],
        pruned_from=checkpoint,
        epsilon_at_prune=dense["log"]["checkpoint_epsilons"]["episode3"],
        winning_source=dense["checkpoints"]["es"],
    )
    assert metrics["fraction_remaining"] == pytest.approx(0.5, abs=1e-3)
    assert 0.0 < metrics["similarity_to_winning_ticket"] <= 1.0
    expected_eps = 0.95**3 if mode == "finetune" else 1.0
    assert metrics["episode_epsilons"][0] == pytest.approx(expected_eps)
    assert metrics["train_episodes"] == 4 and not metrics["reached_early_stopping"]


def test_masked_training_keeps_online_and_target_pruned_weights_at_zero():
    settings = thesis_settings("CartPole-v0")
    settings["learning_starts"] = 10
    model = make_dqn(agent("CartPole-v0", settings, seed=0))
    mask = draw_mask(q_network_weights(model), 0.7)
    model, protocol, _ = train_dqn(
        agent("CartPole-v0", settings, 0),
        tiny_protocol(max_episodes=5, early_stopping_window=10),
        False,
        parameters=model.policy.state_dict(),
        masks=mask,
    )
    assert model._n_updates > 5
    state = model.policy.state_dict()
    for name, m in mask.items():
        assert (state[name][~m] == 0).all()
        assert (state["q_net_target." + name[len("q_net.") :]][~m] == 0).all()
        assert (state[name][m] != 0).any()


def test_checkpoint_lookup_names_what_exists():
    with pytest.raises(KeyError, match="episode7"):
        unpack_checkpoint({"episode3/w": torch.zeros(1)}, "episode7")


def runs_frame():
    rows = []
    for rep in range(2):
        rows.append(
            dict(
                task="T",
                experiment="unpruned",
                prune_fraction=0.0,
                prune_episode=np.nan,
                repetition=rep,
                test_return=190.0,
                train_episodes=100,
                reached_early_stopping=True,
            )
        )
        rows.append(
            dict(
                task="T",
                experiment="winning_ticket",
                prune_fraction=0.2,
                prune_episode=100,
                repetition=rep,
                test_return=195.0,
                train_episodes=90,
                reached_early_stopping=True,
            )
        )
        # e=20: as good and as fast as both -> EB; e=150: pruned after the winning ticket; e=5: too slow
        for e, ret, length in ((20, 185.0, 95), (150, 200.0, 50), (5, 200.0, 130)):
            rows.append(
                dict(
                    task="T",
                    experiment="rewind",
                    prune_fraction=0.2,
                    prune_episode=e,
                    repetition=rep,
                    test_return=ret,
                    train_episodes=length,
                    reached_early_stopping=True,
                )
            )
    frame = pd.DataFrame(rows)
    frame["similarity_to_winning_ticket"] = 0.9
    return frame


def test_verdict_table_applies_the_four_criteria():
    verdicts = verdict_table(runs_frame(), {"T": [0, 200]}, {"performance": 0.05, "length": 0.1})
    by_e = verdicts.set_index("prune_episode")
    assert by_e.loc[20, "early_bird"]
    assert by_e.loc[20, "unpruned_test_return"] == 190.0 and by_e.loc[20, "winning_prune_episode"] == 100
    assert not by_e.loc[150, "c4_earlier_than_winning_ticket"] and not by_e.loc[150, "early_bird"]
    assert by_e.loc[5, "c1_performance_vs_unpruned"] and not by_e.loc[5, "c2_length_vs_unpruned"]
    assert not by_e.loc[5, "early_bird"] and (by_e["n"] == 2).all()
    # a stricter performance tolerance flips e=20 (185 < 195 - 0.01 * 200)
    strict = verdict_table(runs_frame(), {"T": [0, 200]}, {"performance": 0.01, "length": 0.1})
    assert not strict.set_index("prune_episode").loc[20, "c3_like_winning_ticket"]
    assert math.isclose(strict.set_index("prune_episode").loc[20, "test_return"], 185.0)


def test_per_repetition_criteria_use_each_repetitions_own_references():
    runs = runs_frame()
    # Repetition 1's unpruned network is much better (199 in 60 episodes): its e=20 run is no EB ticket against it.
    unpruned = (runs["experiment"] == "unpruned") & (runs["repetition"] == 1)
    runs.loc[unpruned, ["test_return", "train_episodes"]] = [199.0, 60]
    per_rep = repetition_criteria(runs, {"T": [0, 200]}, {"performance": 0.05, "length": 0.1})
    at_20 = per_rep[per_rep["prune_episode"] == 20].set_index("repetition")
    assert at_20.loc[0, "early_bird"] and not at_20.loc[1, "early_bird"] and not at_20.loc[1, "c2"]
    verdicts = verdict_table(runs, {"T": [0, 200]}, {"performance": 0.05, "length": 0.1}).set_index("prune_episode")
    assert verdicts.loc[20, "n_early_bird"] == 1 and verdicts.loc[20, "share_early_bird"] == 0.5
    assert verdicts.loc[20, "total_episodes"] == 20 + 95  # e_prune + episodes after pruning


def test_existence_rule_needs_a_share_of_repetitions_at_adjacent_e_prune_values():
    rows = []
    for e, meeting in ((5, 0), (20, 2), (50, 1), (150, 2)):
        rows += [
            dict(task="T", experiment="finetune", prune_fraction=0.2, prune_episode=e, repetition=r)
            | dict(early_bird=r < meeting)
            for r in range(2)
        ]
    per_rep = pd.DataFrame(rows)
    loose = eb_existence(per_rep, min_share=0.5, adjacent=2).iloc[0]
    assert loose["exists"] and loose["window"] == "20-50" and loose["window_share"] == 0.5 and loose["window_k"] == 1
    strict = eb_existence(per_rep, min_share=1.0, adjacent=2).iloc[0]
    assert not strict["exists"]  # 2 of 2 at e = 20 and at e = 150, never at two adjacent values
    alone = eb_existence(per_rep, min_share=1.0, adjacent=1).iloc[0]
    assert alone["exists"] and alone["window"] == "20"
    assert eb_existence(per_rep[per_rep["prune_episode"] == 20], adjacent=2).iloc[0]["exists"] is None


def test_runs_table_reports_the_length_from_pruning_and_in_total():
    base = dict(task="T", repetition=0, test_return=1.0, test_return_std=0.0, reached_early_stopping=True)
    base |= dict(similarity_to_winning_ticket=np.nan, wall_time_s=1.0, search_episodes=np.nan)
    rows = [
        base | dict(experiment="unpruned", prune_fraction=0.0, prune_episode=np.nan, train_episodes=120),
        base | dict(experiment="finetune", prune_fraction=0.2, prune_episode=100, train_episodes=30),
        base | dict(experiment="rewind", prune_fraction=0.2, prune_episode=100, train_episodes=90),
        base | dict(experiment="winning_ticket", prune_fraction=0.2, prune_episode=120, train_episodes=80),
        base
        | dict(experiment="eb_exploit", prune_fraction=0.2, prune_episode=60, train_episodes=25)
        | dict(search_episodes=60),
    ]
    table = runs_table(rows).set_index("experiment")
    assert table.loc["finetune", "train_episodes"] == 30 and table.loc["finetune", "total_episodes"] == 130
    assert table.loc["rewind", "total_episodes"] == 190 and table.loc["winning_ticket", "total_episodes"] == 200
    assert table.loc["eb_exploit", "total_episodes"] == 85 and table.loc["unpruned", "total_episodes"] == 120


@pytest.mark.parametrize(("detector", "restart_from"), [("consecutive", "current"), ("eb_train", "theta0")])
def test_eb_exploit_searches_after_epsilon_min_then_prunes_and_finetunes(detector, restart_from):
    settings = thesis_settings("CartPole-v0")
    settings["learning_starts"] = 20
    settings["epsilon"]["decay"] = 0.3  # ε reaches its minimum after 4 episodes
    exploit = ExploitSettings(mask_every=1, threshold=0.9, detector=detector, window=2, restart_from=restart_from)
    theta0 = make_dqn(agent("CartPole-v0", settings, seed=4)).policy.state_dict()
    mask, metrics = run_eb_exploit(
        agent("CartPole-v0", settings, 4), tiny_protocol(max_episodes=9), 0.5, theta0, exploit
    )
    assert metrics["epsilon_min_episode"] == 4  # 0.3^4 < 0.01: the search starts at episode 4
    needed = 1 if detector == "consecutive" else 2
    assert metrics["found"] and metrics["eb_episode"] == 4 + needed
    assert metrics["search_episodes"] == metrics["eb_episode"]
    assert 1 <= metrics["finetune_episodes"] <= 9
    assert flatten_mask(mask).mean() == pytest.approx(0.5, abs=1e-3)


def test_eb_exploit_reports_no_point_when_the_threshold_is_never_met():
    settings = thesis_settings("CartPole-v0")
    settings["epsilon"]["decay"] = 0.3
    exploit = ExploitSettings(mask_every=1, threshold=1e-9, detector="consecutive", window=4, restart_from="current")
    theta0 = make_dqn(agent("CartPole-v0", settings, seed=5)).policy.state_dict()
    settings["learning_starts"] = 10
    mask, metrics = run_eb_exploit(
        agent("CartPole-v0", settings, 5), tiny_protocol(max_episodes=7), 0.5, theta0, exploit
    )
    assert mask is None and not metrics["found"] and metrics["search_episodes"] == 7
    assert metrics["finetune_episodes"] == 0


def test_stabilisation_episode_finds_the_bright_lower_right_square():
    episodes = np.array([2, 4, 6, 8, 10])
    # masks 0-1 differ a lot, from mask 2 on they are within 0.05 of each other
    matrix = np.full((5, 5), 0.97)
    matrix[:2, :] = matrix[:, :2] = 0.6
    np.fill_diagonal(matrix, 1.0)
    assert stabilisation_episode(episodes, matrix, 0.1) == 6
    assert np.isnan(stabilisation_episode(episodes, np.where(np.eye(5) > 0, 1.0, 0.5), 0.1))
    table = mask_stability_table({"T": (episodes, {0.2: matrix})}, {"T": [3.0, 5.0]}, 0.1)
    row = table.iloc[0]
    assert row["exploitation_start_episode"] == 4.0 and row["stable_from_episode"] == 6
    assert row["similarity_start_to_last"] == 0.6 and row["similarity_first_to_last"] == 0.6
    assert exploitation_start([1.0, 0.5, 0.01, 0.01], 0.01) == 3.0
