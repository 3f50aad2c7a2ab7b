"""A bad config fails before any job, naming the key and what is expected."""

import copy

import pytest
from conftest import load_config

from rltickets.core.tasks import known_task_ids
from rltickets.infra.config import ConfigError, check_config, load_schema


@pytest.mark.parametrize("name", ["config.yaml", "configs/ci.yaml", "configs/paper.yaml"])
def test_shipped_configs_are_valid(name):
    check_config(load_config(name))


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
    (("imp", "levls"), 3, "imp", "allowed keys here: levels"),
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
