"""Input-mask tables, consistency scores, init rescaling, the masked-input wrapper, claim verdicts, figures."""

import json

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
import torch
from gymnasium.utils.env_checker import check_env

from rltickets.core.envs import CHANNELS, PATROL_GRID_ID, patrol_route
from rltickets.core.masking import dense_masks, prunable_weight_names
from rltickets.core.ppo import initial_parameters
from rltickets.infra.layout import producing_rule
from rltickets.representations.masked_input import keep_inputs_wrapper, kept_input_indices
from rltickets.representations.rescaling import rescale_initial_parameters
from rltickets.representations.tables import (
    consistency_table,
    identification_per_seed,
    input_layout,
    input_mask_table,
    jaccard,
    mean_pairwise_jaccard,
    spearman,
)
from rltickets.summary.claims import NOT_REPRODUCED, REPRODUCED, representation_claims


def test_grid_layout_follows_the_flattening_order_of_the_observation():
    layout = input_layout(PATROL_GRID_ID, 5 * 7 * 7)
    obs = np.zeros((5, 7, 7), dtype=np.float32)
    obs[CHANNELS.index("enemy"), 2, 3] = 1
    index = int(np.flatnonzero(obs.reshape(-1))[0])  # SB3's FlattenExtractor = reshape(-1)
    row = layout.iloc[index]
    assert (row["channel"], row["row"], row["col"], row["input_name"]) == ("enemy", 2, 3, "enemy (2,3)")
    with pytest.raises(ValueError, match="registry's image"):
        input_layout(PATROL_GRID_ID, 10)


def test_layouts_of_state_vectors_and_digit_images():
    cartpole = input_layout("CartPole-v1", 4)
    assert list(cartpole["input_name"]) == ["cart position", "cart velocity", "pole angle", "pole angular velocity"]
    digits = input_layout("digits", 64, image_shape=(8, 8))
    assert digits.iloc[9][["row", "col"]].tolist() == [1, 1] and set(digits["channel"]) == {"pixel"}


def write_metrics(path, task, paradigm, seed, level, survival, **extra):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "paradigm": paradigm,
                "task": task,
                "seed": seed,
                "level": level,
                "fraction_remaining": 0.8**level,
                "input_unit_survival": list(survival),
                **extra,
            }
        )
    )
    return str(path)


def test_input_mask_table_from_level_metrics(tmp_path):
    paths = {
        "none": [
            write_metrics(tmp_path / "a.json", "CartPole-v1", "rl", 0, 1, [1.0, 0.0, 0.5, 0.25]),
            write_metrics(tmp_path / "b.json", "digits", "supervised", 0, 0, np.ones(64), input_shape=[8, 8]),
        ],
        "layer_equalized": [write_metrics(tmp_path / "c.json", "CartPole-v1", "rl", 0, 1, [0, 0, 1, 1])],
    }
    table = input_mask_table(paths)
    assert len(table) == 4 + 64 + 4
    rows = table[(table["task"] == "CartPole-v1") & (table["init_rescaling"] == "none")]
    assert rows.set_index("input_name")["survival"]["pole angle"] == 0.5
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    with pytest.raises(Exception, match="broken.json"):
        input_mask_table({"none": [str(broken)]})


def test_jaccard_and_consistency():
    assert jaccard({1, 2}, {2, 3}) == pytest.approx(1 / 3) and jaccard(set(), set()) == 1.0
    assert mean_pairwise_jaccard([{1}, {1}, {2}]) == pytest.approx(1 / 3)
    rows = []
    for seed, survival in enumerate([[1, 0, 0.5], [1, 0, 0.2], [0, 1, 0.2]]):
        for index, value in enumerate(survival):
            rows.append(
                dict(init_rescaling="none", paradigm="rl", task="T", level=1, seed=seed, fraction_remaining=0.8)
                | dict(input_index=index, survival=value)
            )
    table = consistency_table(pd.DataFrame(rows))
    # kept sets {0,2}, {0,2}, {1,2}: Jaccard 1, 1/3, 1/3
    assert table["mean_pairwise_jaccard"].iloc[0] == pytest.approx(5 / 9)
    assert table["mean_inputs_kept"].iloc[0] == 2 and table["n_seeds"].iloc[0] == 3
    assert table["identification_n"].iloc[0] == 3


def test_identification_is_the_leave_one_out_rank_agreement_of_each_seed():
    from scipy.stats import spearmanr

    vectors = {0: [1.0, 0.0, 0.5, 0.25], 1: [0.9, 0.1, 0.5, 0.5], 2: [0.0, 1.0, 0.2, 0.2]}
    rows = [
        dict(init_rescaling="none", paradigm="rl", task="T", level=level, seed=seed, fraction_remaining=0.6**level)
        | dict(input_index=i, survival=value if level else 1.0)
        for level in (0, 1)
        for seed, vector in vectors.items()
        for i, value in enumerate(vector)
    ]
    scores = identification_per_seed(pd.DataFrame(rows)).set_index(["level", "seed"])["identification"]
    for seed, vector in vectors.items():
        others = np.mean([v for s, v in vectors.items() if s != seed], axis=0)
        assert scores[(1, seed)] == pytest.approx(spearmanr(vector, others).statistic)
    # Nothing pruned (level 0): every input survives in every seed. Jaccard calls that perfect consistency (1.0);
    # the rank agreement is undefined there, so keeping everything is not rewarded.
    assert scores.loc[0].isna().all()
    assert spearman(np.array([1, 2, 2, 3]), np.array([3, 2, 2, 1])) == pytest.approx(-1.0)


def survival_frame(vectors: dict[int, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            dict(init_rescaling="none", paradigm="rl", task="T", level=1, seed=seed, fraction_remaining=0.6)
            | dict(input_index=i, survival=float(value))
            for seed, vector in vectors.items()
            for i, value in enumerate(vector)
        ]
    )


def test_identification_is_one_for_identical_informative_masks_and_zero_for_random_ones():
    informative = np.array([0.9, 0.1, 0.6, 0.3, 0.0, 0.45])  # every seed keeps the same inputs, in the same order
    same = identification_per_seed(survival_frame({seed: informative for seed in range(5)}))
    assert same["identification"].tolist() == pytest.approx([1.0] * 5)
    # Masks drawn at random, independently per seed: no input is preferred, so seeds agree only by chance.
    rng = np.random.default_rng(0)
    random = identification_per_seed(survival_frame({seed: rng.random(40) for seed in range(200)}))
    assert abs(random["identification"].mean()) < 0.05
    # Identical masks that prefer no input (every input keeps the same share, e.g. nothing pruned): undefined, so
    # agreeing on keeping everything is not rewarded.
    uniform = identification_per_seed(survival_frame({seed: np.full(6, 0.5) for seed in range(5)}))
    assert uniform["identification"].isna().all()


def small_policy_state(seed=0):
    torch.manual_seed(seed)
    net = {
        "mlp_extractor.policy_net.0.weight": torch.randn(16, 4) * 0.5,
        "mlp_extractor.policy_net.0.bias": torch.zeros(16),
        "mlp_extractor.policy_net.2.weight": torch.randn(16, 16) * 0.1,
        "mlp_extractor.policy_net.2.bias": torch.zeros(16),
        "action_net.weight": torch.randn(2, 16) * 0.05,
        "action_net.bias": torch.zeros(2),
        "mlp_extractor.value_net.0.weight": torch.randn(16, 4),
    }
    return net


def actor_output(state, x):
    h = torch.relu(x @ state["mlp_extractor.policy_net.0.weight"].T + state["mlp_extractor.policy_net.0.bias"])
    h = torch.relu(h @ state["mlp_extractor.policy_net.2.weight"].T + state["mlp_extractor.policy_net.2.bias"])
    return h @ state["action_net.weight"].T + state["action_net.bias"]


def test_layer_equalized_init_equalises_scales_and_keeps_the_function():
    theta0 = small_policy_state()
    prunable = prunable_weight_names(theta0)
    assert "mlp_extractor.value_net.0.weight" not in prunable
    assert all(torch.equal(theta0[k], v) for k, v in rescale_initial_parameters(theta0, "none", prunable).items())
    rescaled = rescale_initial_parameters(theta0, "layer_equalized", prunable)
    stds = [float(rescaled[name].std()) for name in prunable]
    assert max(stds) == pytest.approx(min(stds), rel=1e-5)
    assert torch.equal(rescaled["mlp_extractor.value_net.0.weight"], theta0["mlp_extractor.value_net.0.weight"])
    x = torch.randn(32, 4)
    assert torch.allclose(actor_output(rescaled, x), actor_output(theta0, x), atol=1e-5)  # bias-free ReLU net
    with pytest.raises(ValueError, match="unknown init rescaling"):
        rescale_initial_parameters(theta0, "xavier", prunable)
    # With biases (as the real actor has them, unrescaled) the function changes: a different init, not the same one.
    biased = {k: v + 0.3 if k.endswith("bias") else v for k, v in theta0.items()}
    rescaled = rescale_initial_parameters(biased, "layer_equalized", prunable)
    assert not torch.allclose(actor_output(rescaled, x), actor_output(biased, x), atol=1e-3)


def test_input_layer_matched_rescales_only_the_input_layer_to_the_hidden_scale():
    theta0 = small_policy_state()
    prunable = prunable_weight_names(theta0)
    rescaled = rescale_initial_parameters(theta0, "input_layer_matched", prunable)
    first, hidden, head = prunable
    assert float(rescaled[first].std()) == pytest.approx(float(theta0[hidden].std()), rel=1e-5)
    assert float(theta0[first].std()) > 3 * float(theta0[hidden].std())  # it was much larger
    for name in theta0:
        if name != first:  # hidden and output layers, biases, the critic: θ0's
            assert torch.equal(rescaled[name], theta0[name]), name
    # Rescaled the same way whatever order the names come in (mask files may sort them by name).
    again = rescale_initial_parameters(theta0, "input_layer_matched", sorted(prunable))
    assert torch.equal(again[first], rescaled[first])


def test_keep_inputs_wrapper_and_kept_indices():
    masks = dense_masks(small_policy_state())
    first = "mlp_extractor.policy_net.0.weight"
    masks[first][:, 1] = False
    masks[first][:-1, 3] = False
    assert kept_input_indices(masks, first) == [0, 2, 3]
    env = keep_inputs_wrapper()(gym.make(PATROL_GRID_ID), keep=[3, 100, 244])
    obs, _ = env.reset(seed=0)
    full, _ = gym.make(PATROL_GRID_ID).reset(seed=0)
    assert obs.shape == (3,) and np.array_equal(obs, full.reshape(-1)[[3, 100, 244]])
    check_env(env.unwrapped)
    with pytest.raises(ValueError, match="keep must list"):
        keep_inputs_wrapper()(gym.make(PATROL_GRID_ID), keep=[245])


def synthetic_grid_table(noise_survival: float, route_survival: float) -> pd.DataFrame:
    layout = input_layout(PATROL_GRID_ID, 245)
    route = set(patrol_route(7))
    frames = []
    for seed in range(5):
        for level in range(3):
            survival = np.full(245, 0.6 if level else 1.0)
            on_route = np.array([(r, c) in route for r, c in zip(layout["row"], layout["col"], strict=True)])
            if level:
                border = layout["row"].isin([0, 6]) | layout["col"].isin([0, 6])
                survival[border.to_numpy()] = 0.1
                survival[(layout["channel"] == "noise").to_numpy()] = noise_survival
                survival[((layout["channel"] == "enemy") & on_route).to_numpy()] = route_survival
            frames.append(
                layout.assign(
                    init_rescaling="none",
                    paradigm="rl",
                    task=PATROL_GRID_ID,
                    seed=seed,
                    level=level,
                    fraction_remaining=0.8**level,
                    survival=survival,
                )
            )
    return pd.concat(frames, ignore_index=True)


def test_claim_verdicts_follow_the_data():
    empty = pd.DataFrame(columns=["init_rescaling", "paradigm", "task", "level", "mean_pairwise_jaccard", "n_seeds"])
    good = representation_claims(synthetic_grid_table(0.2, 0.9), empty, PATROL_GRID_ID, None).set_index("claim")
    # Five seeds that all agree: the exact one-sided test gives p = 1/32 (was "holds" on 3 seeds, by majority).
    assert (good["verdict"] == REPRODUCED).all() and (good["n"] == 5).all()
    assert good["p_greater"].tolist() == pytest.approx([1 / 32] * 3) and (good["n_positive"] == 5).all()
    noise = "3: the noise distractor channel is pruned before the task channels"
    # inner agent/goal/enemy cells: 70 at 0.6 and 5 route cells at 0.9; every noise cell at 0.2
    assert good.loc[noise, "effect"] == pytest.approx((70 * 0.6 + 5 * 0.9) / 75 - 0.2)
    bad = representation_claims(synthetic_grid_table(0.9, 0.2), empty, PATROL_GRID_ID, None).set_index("claim")
    assert bad.loc[noise, "verdict"] == NOT_REPRODUCED
    assert bad.loc["poster I: the enemy channel keeps the patrol route longest", "verdict"] == NOT_REPRODUCED


def identification_table(consistent: dict[str, bool], seeds=range(5), levels=range(4)) -> pd.DataFrame:
    """4 inputs. Where `consistent[setting]`, every seed ranks them the same way (with a little noise); otherwise
    each seed has its own random ranking. Level 0 keeps everything."""
    rows = []
    for setting, same in consistent.items():
        for seed in seeds:
            rng = np.random.default_rng(seed)
            order = np.array([0.9, 0.6, 0.3, 0.1]) if same else rng.permutation([0.9, 0.6, 0.3, 0.1])
            for level in levels:
                survival = np.ones(4) if level == 0 else np.clip(order / level + rng.normal(0, 0.01, 4), 0, 1)
                rows += [
                    dict(init_rescaling=setting, paradigm="bc", task="CartPole-v1", seed=seed, level=level)
                    | dict(fraction_remaining=0.6**level, input_index=i, survival=float(survival[i]))
                    for i in range(4)
                ]
    return pd.DataFrame(rows)


def test_input_mask_table_and_claim_4_take_the_observation_standardised_chain(tmp_path):
    statistics = {"mean": [0.0, 0.1, 0.0, -0.1], "std": [0.1, 0.5, 0.01, 0.3]}  # as a level job records them
    paths = {
        "none": [write_metrics(tmp_path / "a.json", "CartPole-v1", "bc", 0, 1, [0.2, 0.3, 1.0, 0.9])],
        "obs_standardized": [
            write_metrics(
                tmp_path / "b.json",
                "CartPole-v1",
                "bc",
                0,
                1,
                [0.9, 0.3, 0.2, 1.0],
                observation_standardization=statistics,
            )
        ],
    }
    table = input_mask_table(paths)
    rows = table[table["init_rescaling"] == "obs_standardized"].set_index("input_name")["survival"]
    assert rows["pole angle"] == 0.2 and rows["cart position"] == 0.9
    # Claim 4: seeds that agree only under standardised observations are a gain of that mode over the default init.
    identification = identification_table({"none": False, "obs_standardized": True})
    claims = representation_claims(identification, consistency_table(identification), None, None)
    assert len(claims) == 1 and "obs_standardized" in claims["claim"].iloc[0]
    assert claims["verdict"].iloc[0] == REPRODUCED and claims["n"].iloc[0] == 5


def test_obs_standardized_keeps_theta0():
    from conftest import ci_task_settings

    theta0 = initial_parameters("CartPole-v1", ci_task_settings("CartPole-v1"), 0)
    same = rescale_initial_parameters(theta0, "obs_standardized", prunable_weight_names(theta0))
    assert same.keys() == theta0.keys() and all(torch.equal(same[k], theta0[k]) for k in theta0)


def test_init_rescaling_claim_compares_identification_per_seed():
    table = identification_table({"none": False, "layer_equalized": True})
    claims = representation_claims(table, consistency_table(table), None, None)
    assert len(claims) == 1 and claims["verdict"].iloc[0] == REPRODUCED
    assert claims["n"].iloc[0] == 5 and claims["n_unit"].iloc[0] == "seeds"  # the spread is over seeds, not levels
    assert claims["effect"].iloc[0] > 0.5
    # The same ranking in both settings: no gain, no verdict for the rescaling.
    same = identification_table({"none": True, "input_layer_matched": True})
    claims = representation_claims(same, consistency_table(same), None, None)
    assert claims["effect"].iloc[0] == pytest.approx(0, abs=0.2) and claims["verdict"].iloc[0] != REPRODUCED


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("results/supervised/digits/seed0/init.pt", "supervised_initial_parameters"),
        ("results/supervised/digits/seed0/level3/mask.pt", "supervised_level"),
        ("results/representations/init_layer_equalized/theta0/CartPole-v1/seed0.pt", "rescaled_initial_parameters"),
        (
            "results/representations/init_layer_equalized/chain/bc/CartPole-v1/seed0/level1/weights.pt",
            "rescaled_imp_level",
        ),
        ("results/representations/masked_input/PatrolGrid-v0/pruned/seed0/metrics.json", "masked_input_agent"),
        ("results/tables/input_mask.csv", "input_mask_table"),
        (
            "results/representations/init_obs_standardized/observation_statistics/CartPole-v1/seed0.pt",
            "observation_statistics",
        ),
        ("results/representations/init_obs_standardized/theta0/CartPole-v1/seed0.pt", "rescaled_initial_parameters"),
        (
            "results/representations/init_obs_standardized/chain/rl/CartPole-v1/seed0/level0/metrics.json",
            "rescaled_imp_level",
        ),
    ],
)
def test_error_messages_name_the_producing_rule(path, rule):
    assert producing_rule(path) == rule


def test_figures_render_from_synthetic_tables():
    from rltickets.representations import plots

    grid = synthetic_grid_table(0.2, 0.9)
    low_d = pd.DataFrame(
        [
            dict(init_rescaling=s, paradigm="rl", task="CartPole-v1", seed=seed, level=level)
            | dict(fraction_remaining=0.8**level, input_index=i, input_name=f"dim {i}", channel=np.nan)
            | dict(row=np.nan, col=np.nan, survival=1.0 / (1 + i * level))
            for s in ("none", "layer_equalized", "input_layer_matched", "obs_standardized")
            for seed in range(2)
            for level in range(3)
            for i in range(4)
        ]
    )
    table = pd.concat([grid, low_d], ignore_index=True)
    for fig in (
        plots.plot_input_masks(table),
        plots.plot_state_dims(table),
        plots.plot_init_rescaling(table, consistency_table(table)),
    ):
        assert len(fig.axes) >= 1 and fig.axes[0].has_data()
    rescaling_titles = [ax.get_title() for ax in fig.axes]  # the last figure: one panel per init rescaling
    assert any(plots.RESCALING_LABELS["obs_standardized"] in title for title in rescaling_titles)
    assert plots.shown_levels(range(21)) == [0, 10, 20] and plots.shown_levels([0, 1]) == [0, 1]
    curves = pd.DataFrame(
        [
            dict(task="PatrolGrid-v0", variant=v, seed=s, n_inputs=n, step=t, mean_return=t / 10)
            for v, n in (("full", 245), ("pruned", 80))
            for s in range(2)
            for t in (0, 5, 10)
        ]
    )
    assert len(plots.plot_masked_input(curves).axes) == 1
