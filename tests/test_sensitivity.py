"""The claim-1 sensitivity study: arms as variant chains (ids, merged settings, reused base files, per-chain IMP
settings, paradigm restriction), the config checks, and the table on hand-built imp-like frames."""

import numpy as np
import pandas as pd
import pytest
from conftest import load_config

from rltickets.core.statistics import REPRODUCED
from rltickets.core.tasks import base_task_id, env_id, get_task, variant_task_id
from rltickets.imp.level_jobs import study_level_job_rules
from rltickets.infra.config import ConfigError, check_config
from rltickets.infra.settings import Study
from rltickets.sensitivity.arms import BASE, ArmPairing, chains_needed, variant_chains
from rltickets.sensitivity.tables import BEYOND_RUN, sensitivity_table, verdicts
from rltickets.summary.claims import ClaimRules


@pytest.fixture(scope="module")
def study_config():
    return load_config("configs/sensitivity.yaml")


def test_a_variant_resolves_to_its_base_task():
    chain = variant_task_id("CartPole-v1", "width32")
    assert chain == "CartPole-v1@width32" and base_task_id(chain) == "CartPole-v1"
    assert env_id(chain) == "CartPole-v1" and get_task(chain) is get_task("CartPole-v1")
    assert base_task_id("Acrobot-v1") == "Acrobot-v1"


def test_every_arm_becomes_one_chain_per_task(study_config):
    chains = variant_chains(study_config)
    arms = list(study_config["sensitivity"]["arms"])
    assert list(chains) == [f"{t}@{a}" for t in study_config["tasks"] for a in arms]
    assert {c.task for c in chains.values()} == set(study_config["tasks"])


def test_settings_merge_replaces_and_scales_the_base_tasks_own_values(study_config):
    chains = variant_chains(study_config)
    width = chains["CartPole-v1@width32"].task_settings
    assert width["network"]["actor"] == [32, 32] and width["network"]["activation"] == "relu"
    assert chains["CartPole-v1@rl_quarter"].task_settings["rl"]["total_timesteps"] == 25_000
    assert chains["Acrobot-v1@rl_quarter"].task_settings["rl"]["total_timesteps"] == 50_000
    epochs = chains["CartPole-v1@bc_epochs3"].task_settings["bc"]
    assert (epochs["epochs"], epochs["patience"], epochs["stopping"]) == (900, 60, "plateau")
    assert chains["CartPole-v1@bc_data5"].task_settings["bc_data"]["n_transitions"] == 50_000
    assert chains["CartPole-v1@bc_noisy"].task_settings["bc_data"] == {"n_transitions": 10_000, "action_noise": 0.2}
    # the base task's settings are never modified in place
    assert study_config["task_settings"]["CartPole-v1"]["network"]["actor"] == [64, 64]


def test_variants_reuse_the_base_files_their_arm_leaves_unchanged(study_config):
    chains = variant_chains(study_config)
    for chain in chains.values():
        assert chain.source("expert") == chain.task and chain.source("random") == chain.task
    assert chains["CartPole-v1@width32"].source("theta0") == "CartPole-v1@width32"
    assert chains["CartPole-v1@width32"].source("bc_dataset") == "CartPole-v1"
    assert chains["CartPole-v1@bc_data5"].source("bc_dataset") == "CartPole-v1@bc_data5"
    assert chains["CartPole-v1@bc_noisy"].source("bc_dataset") == "CartPole-v1@bc_noisy"
    for arm in ("bc_data5", "bc_noisy", "rl_quarter", "bc_epochs3", "output_keep", "step02_30"):
        assert chains[f"CartPole-v1@{arm}"].source("theta0") == "CartPole-v1"
    for arm in ("rl_quarter", "bc_epochs3", "output_keep", "step02_30", "width256"):
        assert chains[f"Acrobot-v1@{arm}"].source("bc_dataset") == "Acrobot-v1"


def test_per_chain_imp_settings_and_paradigms(study_config):
    study = Study.from_config(study_config)
    assert study.tasks == tuple(study_config["tasks"])  # the variants are extra chains, not tasks
    assert study.chain_tasks[: len(study.tasks)] == study.tasks and len(study.chain_tasks) == 3 + 27
    steps = study.variants["Acrobot-v1@step02_30"]
    assert steps.imp["prune_fraction"] == 0.2 and study.levels_of(steps.chain) == list(range(31))
    assert study.variants["CartPole-v1@output_keep"].imp["output_layer"] == "keep"
    assert study.levels_of("CartPole-v1@output_keep") == study.levels == list(range(14))
    assert study.variants["CartPole-v1@rl_quarter"].paradigms == ("rl",)
    assert study.variants["CartPole-v1@bc_noisy"].paradigms == ("bc",)
    assert study.variants["CartPole-v1@width32"].paradigms == ("rl", "bc")
    assert study.seeds_of("InvertedPendulum-v5@width256") == study.seeds_of("InvertedPendulum-v5")
    assert study.variant_settings["CartPole-v1@width32"].network.actor == (32, 32)


def test_variant_chains_get_level_rules_of_their_own_levels_and_no_baselines(study_config):
    study = Study.from_config(study_config)
    rules = study_level_job_rules(study_config, study)["imp_level"]
    producers: dict[tuple[str, int], list[str]] = {}
    for rule in rules:
        for task in rule.tasks:
            for level in rule.levels:
                producers.setdefault((task, level), []).append(rule.name)
                if task in study.variants:
                    assert not rule.conditions, f"{task} trains baselines in {rule.name}"
    assert all(len(names) == 1 for names in producers.values())
    for chain in study.chain_tasks:
        assert {k for (t, k) in producers if t == chain} == set(study.levels_of(chain))


def test_without_arms_the_level_rules_are_unchanged():
    plain = load_config()
    del plain["sensitivity"]
    with_empty = load_config()
    for config in (plain, with_empty):
        check_config(config)
    assert study_level_job_rules(plain, Study.from_config(plain)) == study_level_job_rules(
        with_empty, Study.from_config(with_empty)
    )
    assert not Study.from_config(plain).variants


@pytest.mark.parametrize(
    "arm, message",
    [
        ({"factor": "x", "task_settings": {"ppo": {"n_steps": 8}}}, "sensitivity.arms.bad.task_settings"),
        ({"factor": "x", "imp": {"rewind": "init"}}, "sensitivity.arms.bad.imp"),
        ({"factor": "x", "scale": {"rl": {"eval_episodes": 2}}}, "sensitivity.arms.bad.scale.rl"),
        ({"factor": "x", "paradigms": ["dqn"]}, "sensitivity.arms.bad.paradigms.0"),
        ({"imp": {"levels": 3}}, "'factor' is a required property"),
        ({"factor": "x", "task_settings": {"network": {"actor": []}}}, "task_settings.network.actor"),
        ({"factor": "x", "task_settings": {"bc": {"validation_fraction": 0}}}, "no validation split"),
    ],
)
def test_a_bad_arm_fails_before_any_job_naming_the_key(arm, message):
    config = load_config()
    config["sensitivity"]["arms"] = {"bad": arm}
    with pytest.raises(ConfigError, match="sensitivity.arms.bad") as err:
        check_config(config)
        Study.from_config(config)
    assert message in str(err.value)


def test_arm_names_and_paradigms_are_checked():
    config = load_config()
    config["sensitivity"]["arms"] = {"Width-32": {"factor": "width"}}
    with pytest.raises(ConfigError, match="arm name of lower-case letters"):
        check_config(config)
    config = load_config()
    config["paradigms"] = ["rl"]
    config["sensitivity"]["arms"] = {"keep": {"factor": "output layer", "imp": {"output_layer": "keep"}}}
    with pytest.raises(ConfigError, match="pairs RL with BC"):
        check_config(config)


# ---- the table ----
def chain_frame(task: str, paradigm: str, holds: dict[int, int], levels: int = 6, disconnected=()) -> pd.DataFrame:
    """An imp-like frame of one chain: seed s keeps normalised performance 1 up to level holds[s], then 0.5;
    last3 breaks one level earlier than best; (seed, level) pairs in `disconnected` are flagged."""
    rows = []
    for seed, hold in holds.items():
        for level in range(levels + 1):
            rows.append(
                {
                    "task": task,
                    "paradigm": paradigm,
                    "seed": seed,
                    "level": level,
                    "percent_remaining": 100 * 0.6**level,
                    "normalised_best": 1.0 if level <= hold else 0.5,
                    "normalised_last3": 1.0 if level <= hold - 1 else 0.85,
                    "disconnected": (seed, level) in disconnected,
                }
            )
    return pd.DataFrame(rows)


SEEDS = range(5)
RULES = ClaimRules(min_n=5, test="wilcoxon", alpha=0.05)


def table_of(frames, arms, metrics=("best",), thresholds=(0.95,)):
    return sensitivity_table(pd.concat(frames, ignore_index=True), ["CartPole-v1"], arms, metrics, thresholds, RULES)


def test_bc_outlasting_rl_in_every_seed_gives_a_verdict():
    frames = [
        chain_frame("CartPole-v1", "rl", dict.fromkeys(SEEDS, 2)),
        chain_frame("CartPole-v1", "bc", dict.fromkeys(SEEDS, 4)),
    ]
    table = table_of(frames, {BASE: ArmPairing(BASE)})
    assert len(table) == 5 and (table["difference"] == 2).all()
    row = verdicts(table).iloc[0]
    assert (row["n"], row["k_bc_outlasts"], row["mean_difference"], row["median_difference"]) == (5, 5, 2.0, 2.0)
    assert row["p_value"] == pytest.approx(1 / 32) and row["verdict"] == REPRODUCED
    assert row["agreement"] == "BC outlasts RL in 5 of 5 seeds"


def test_a_tie_gives_no_verdict():
    frames = [chain_frame("CartPole-v1", p, dict.fromkeys(SEEDS, 3)) for p in ("rl", "bc")]
    row = verdicts(table_of(frames, {BASE: ArmPairing(BASE)})).iloc[0]
    assert row["k_bc_outlasts"] == 0 and row["mean_difference"] == 0 and row["verdict"] != REPRODUCED


def test_both_holding_to_the_sparsest_level_is_inconclusive():
    frames = [chain_frame("CartPole-v1", p, dict.fromkeys(SEEDS, 6)) for p in ("rl", "bc")]
    assert verdicts(table_of(frames, {BASE: ArmPairing(BASE)})).iloc[0]["verdict"] == BEYOND_RUN


def test_metric_and_threshold_variants_come_from_the_same_levels():
    rl_holds = {0: 2, 1: 2, 2: 3, 3: 2, 4: 2}
    frames = [
        chain_frame("CartPole-v1", "rl", rl_holds),
        chain_frame("CartPole-v1", "bc", dict.fromkeys(SEEDS, 4)),
    ]
    table = table_of(frames, {BASE: ArmPairing(BASE)}, metrics=("best", "last3"), thresholds=(0.95, 0.8))
    levels = table.set_index(["metric", "threshold", "seed"])
    assert levels.loc[("best", 0.95, 0), "bc_critical_level"] == 4
    assert levels.loc[("last3", 0.95, 0), "bc_critical_level"] == 3  # last3 breaks a level earlier
    assert levels.loc[("last3", 0.8, 0), "bc_critical_level"] == 6  # 0.85 >= 0.8: holds to the end
    assert levels.loc[("best", 0.95, 2), "difference"] == 1
    assert len(verdicts(table)) == 4


def test_a_disconnected_level_ends_the_seeds_ticket():
    frames = [
        chain_frame("CartPole-v1", "rl", dict.fromkeys(SEEDS, 2)),
        chain_frame("CartPole-v1", "bc", dict.fromkeys(SEEDS, 4), disconnected={(0, 3)}),
    ]
    table = table_of(frames, {BASE: ArmPairing(BASE)}).set_index("seed")
    assert table.loc[0, "bc_critical_level"] == 2 and table.loc[0, "bc_disconnected_levels"] == 1
    assert table.loc[1, "bc_critical_level"] == 4 and table.loc[1, "bc_disconnected_levels"] == 0


def test_a_one_paradigm_arm_is_paired_with_the_base_chain_of_the_other():
    arms = {BASE: ArmPairing(BASE), "rl_quarter": ArmPairing("RL budget", ("rl",))}
    assert chains_needed(["CartPole-v1"], arms) == [
        ("rl", "CartPole-v1"),
        ("bc", "CartPole-v1"),
        ("rl", "CartPole-v1@rl_quarter"),
    ]
    frames = [
        chain_frame("CartPole-v1", "rl", dict.fromkeys(SEEDS, 2)),
        chain_frame("CartPole-v1", "bc", dict.fromkeys(SEEDS, 4)),
        chain_frame("CartPole-v1@rl_quarter", "rl", dict.fromkeys(SEEDS, 1)),
    ]
    arm = verdicts(table_of(frames, arms)).set_index("arm").loc["rl_quarter"]
    assert (arm["rl_chain"], arm["bc_chain"], arm["mean_difference"]) == ("CartPole-v1@rl_quarter", "CartPole-v1", 3)
    assert arm["factor"] == "RL budget"


def test_the_figure_draws_every_task_and_metric():
    from rltickets.sensitivity.plots import plot_sensitivity

    arms = {BASE: ArmPairing(BASE), "keep": ArmPairing("output layer")}
    frames = [
        chain_frame(task, p, {s: 2 + (p == "bc") + s % 2 for s in SEEDS}, disconnected={(1, 5)})
        for task in ("CartPole-v1", "CartPole-v1@keep")
        for p in ("rl", "bc")
    ]
    table = table_of(frames, arms, metrics=("best", "last3"), thresholds=(0.95, 0.9))
    figure = plot_sensitivity(table, 0.95)
    assert len(figure.axes) == 2
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == [BASE, "keep"]
    assert not np.isnan(table["difference"]).any()
