"""Wiring of the representation stage, checked by dry-runs of the ci preset (the real ci run is in test_workflow)."""

import pytest
import yaml
from conftest import copy_workflow, scheduled_outputs, snakemake

pytestmark = pytest.mark.workflow


def test_ci_preset_schedules_every_representation_rule(tmp_path):
    proc = snakemake(copy_workflow(tmp_path), "-n", "--configfile", "configs/ci.yaml")
    for rule in (
        "supervised_level",
        "rescaled_imp_level",
        "masked_input_agent",
        "input_mask_table",
        "representation_claims_table",
        "plot_init_rescaling",
    ):
        assert f"rule {rule}:" in proc.stdout or f"localrule {rule}:" in proc.stdout, rule
    outputs = scheduled_outputs(proc)
    assert any("results/imp/rl/PatrolGrid-v0/seed1/level3/" in o for o in outputs)
    assert any("results/representations/masked_input/PatrolGrid-v0/pruned/seed0/" in o for o in outputs)
    assert any("init_layer_equalized/chain/bc/CartPole-v1/seed1/level3/" in o for o in outputs)
    # obs_standardized: its statistics per seed, its chain, and every one of its level jobs reads the statistics.
    assert "rule observation_statistics:" in proc.stdout
    assert any("init_obs_standardized/observation_statistics/CartPole-v1/seed1.pt" in o for o in outputs)
    assert any("init_obs_standardized/chain/bc/CartPole-v1/seed1/level3/" in o for o in outputs)
    jobs = proc.stdout.split("\n\n")
    standardized_levels = [j for j in jobs if "rule rescaled_imp_level" in j and "rescaling=obs_standardized" in j]
    assert standardized_levels and all(
        "init_obs_standardized/observation_statistics/CartPole-v1/seed0.pt" in j for j in standardized_levels
    )
    other_levels = [j for j in jobs if "rule rescaled_imp_level" in j and "rescaling=layer_equalized" in j]
    assert other_levels and not any("observation_statistics" in j for j in other_levels)


def test_masked_input_level_beyond_the_chain_is_refused(tmp_path):
    root = copy_workflow(tmp_path)
    config = yaml.safe_load((root / "configs/ci.yaml").read_text())
    config["representations"]["masked_input"]["level"] = 9
    (root / "bad.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake(root, "-n", "--configfile", "bad.yaml", check=False)
    assert proc.returncode != 0
    assert "representations.masked_input.level" in proc.stdout + proc.stderr
