"""A bad config fails before any job, naming the key and what is expected."""

import copy

import pytest
from conftest import load_config

from rltickets.core.tasks import known_task_ids
from rltickets.infra.config import ConfigError, check_config, load_schema


@pytest.mark.parametrize("name", ["config.yaml", "configs/ci.yaml", "configs/paper.yaml", "configs/sensitivity.yaml"])
def test_shipped_configs_are_valid(name):
    check_config(load_config(name))


def test_default_config_has_the_scale_the_claims_need(default_config):
    assert len(default_config["seeds"]) >= 5 and len(default_config["representations"]["seeds"]) >= 5
    assert default_config["analysis"]["claims_min_n"] >= 5
    assert (1 - default_config["imp"]["prune_fraction"]) ** default_config["imp"]["levels"] < 0.002
    assert max(default_config["baselines"]["levels"]) == default_config["imp"]["levels"]
    assert {"CartPole-v1", "Acrobot-v1"} <= set(default_config["representations"]["init_rescaling"]["tasks"])


def mutate(config, path, value):
    config = copy.deepcopy(config)
    *parents, last = path
    node = config
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return config


DELETE = object()
CASES = [
    (("tasks",), ["Pong-v5"], "tasks.0", "CartPole-v1"),
    (("seeds",), [-1], "seeds.0", "integer >= 0"),
    (("imp", "prune_fraction"), 1.5, "imp.prune_fraction", "strictly between 0 and 1"),
    (("imp", "prune_fraction"), 0, "imp.prune_fraction", "strictly between 0 and 1"),
    (("imp", "levels"), 0, "imp.levels", "integer >= 1"),
    (("imp", "levls"), 3, "imp", "allowed keys here: backend, layer_floor, levels"),
    (("imp", "levels"), "twenty", "imp.levels", "integer >= 1"),
    (("analysis",), DELETE, "<top level>", "'analysis' is a required property"),
    (("paradigms",), ["rl", "dagger"], "paradigms.1", "rl, bc"),
    (
        ("task_settings", "CartPole-v1", "rl", "total_timesteps"),
        0,
        "task_settings.CartPole-v1.rl.total_timesteps",
        "integer >= 1",
    ),
    (("task_settings", "CartPole-v1", "network", "activation"), "gelu", "network.activation", "relu, tanh"),
    (("task_settings", "Pong-v5"), {}, "task_settings", "registered task id"),
    (
        ("task_settings", "Acrobot-v1", "ppo", "n_step"),
        8,
        "task_settings.Acrobot-v1.ppo",
        "allowed keys here: batch_size",
    ),
    (("task_settings", "Acrobot-v1", "ppo", "learning_rate"), "fast", "ppo.learning_rate", "lin_<start>"),
    (("task_settings", "CartPole-v1", "bc", "stopping"), "early", "bc.stopping", "plateau"),
    (("task_settings", "CartPole-v1", "bc", "validation_fraction"), 1.0, "bc.validation_fraction", "[0, 1)"),
    (("task_settings", "CartPole-v1", "bc", "validation_fraction"), 0, "bc.validation_fraction", "bc.stopping: fixed"),
    (("task_settings", "CartPole-v1", "bc", "patience"), 0, "bc.patience", "integer >= 1"),
    (("task_settings", "CartPole-v1", "bc_data", "action_noise"), -0.1, "bc_data.action_noise", "[0, 1]"),
    (("imp", "output_layer"), "drop", "imp.output_layer", "keep"),
    (("imp", "layer_floor"), 0, "imp.layer_floor", "integer >= 1"),
    (("analysis", "claims_min_n"), 3, "analysis.claims_min_n", "integer >= 5"),
    (("analysis", "claims_test"), "bootstrap", "analysis.claims_test", "wilcoxon"),
    (("earlybird", "existence", "adjacent"), 0, "earlybird.existence.adjacent", "consecutive e_prune"),
    (
        ("representations", "init_rescaling", "modes"),
        ["batch_normalized"],
        "representations.init_rescaling.modes.0",
        "obs_standardized",
    ),
]


@pytest.mark.parametrize(("path", "value", "key", "expected"), CASES, ids=[".".join(c[0]) for c in CASES])
def test_bad_config_names_key_and_expected_value(default_config, path, value, key, expected):
    with pytest.raises(ConfigError) as info:
        check_config(mutate(default_config, path, value))
    message = str(info.value)
    assert f"'{key}" in message or key in message
    assert expected in message


def test_task_without_settings_is_refused(default_config):
    config = mutate(default_config, ("task_settings", "Acrobot-v1"), DELETE)
    with pytest.raises(ConfigError, match=r"task_settings.*Acrobot-v1"):
        check_config(config)


def test_schema_task_list_matches_registry():
    schema = load_schema()
    assert sorted(schema["definitions"]["task_id"]["enum"]) == known_task_ids()
    assert schema["properties"]["tasks"]["items"] == {"$ref": "#/definitions/task_id"}
    assert schema["properties"]["task_settings"]["propertyNames"] == {"$ref": "#/definitions/task_id"}
