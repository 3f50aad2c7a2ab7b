"""The results/ layout is written once (rltickets.infra.layout) and matches the rules: every file a dry run would
make is attributed to the rule that makes it, and every rule the layout names exists. A renamed rule or path
fails here."""

import re

import pytest
from conftest import copy_workflow, snakemake

from rltickets.infra import layout
from rltickets.infra.artifacts import artifact_error

pytestmark = pytest.mark.workflow


def dry_run_jobs(stdout: str) -> list[tuple[str, list[str]]]:
    """(rule, outputs) of every job a dry run lists."""
    jobs, rule = [], None
    for line in stdout.splitlines():
        if match := re.match(r"^(?:local)?rule (\w+):$", line.strip()):
            rule = match.group(1)
        elif line.strip().startswith("output:") and rule is not None:
            jobs.append((rule, [p.strip() for p in line.split(":", 1)[1].split(",")]))
            rule = None
    return jobs


@pytest.fixture(
    scope="module",
    params=[[], ["--configfile", "configs/paper.yaml"], ["--configfile", "configs/sensitivity.yaml"]],
    ids=["default", "paper", "sensitivity"],
)
def preset_dag(request, tmp_path_factory):
    root = copy_workflow(tmp_path_factory.mktemp("layout"))
    rules = snakemake(root, "--list-rules", *request.param).stdout.split()
    jobs = dry_run_jobs(snakemake(root, "-n", *request.param).stdout)
    return rules, jobs


def test_every_output_of_a_dry_run_is_attributed_to_its_rule(preset_dag):
    _, jobs = preset_dag
    assert len(jobs) > 100
    wrong = []
    for rule, outputs in jobs:
        for path in outputs:
            if path.startswith(("results/logs/", "results/benchmarks/")):
                continue
            artefact = layout.artefact_of(path)
            if artefact is None or not artefact.made_by(rule):
                wrong.append((path, rule, layout.producing_rule(path)))
    assert not wrong, f"{len(wrong)} outputs attributed to the wrong rule, e.g. {wrong[:5]}"


def test_every_rule_the_layout_names_exists(preset_dag):
    rules, _ = preset_dag
    missing = [a.rule for a in layout.ARTEFACTS.values() if not any(a.made_by(rule) for rule in rules)]
    assert not missing, f"the layout names rules the workflow does not have: {sorted(missing)}"


def test_every_rule_that_writes_results_is_in_the_layout(preset_dag):
    _, jobs = preset_dag
    producing = {rule for rule, outputs in jobs if any(not p.startswith("results/logs/") for p in outputs)}
    unknown = {r for r in producing if not any(a.made_by(r) for a in layout.ARTEFACTS.values())}
    assert not unknown, f"rules whose outputs the layout does not know: {sorted(unknown)}"


def test_templates_fill_in_and_errors_name_the_rule():
    mask = layout.IMP_LEVEL.file("mask.pt", paradigm="rl", task="CartPole-v1", seed=3, level=7)
    assert mask == "results/imp/rl/CartPole-v1/seed3/level7/mask.pt"
    assert layout.IMP_LEVEL.file("mask.pt", level=2) == "results/imp/{paradigm}/{task}/seed{seed}/level2/mask.pt"
    assert layout.producing_rule("/tmp/x/" + mask) == "imp_level"
    assert layout.IMP_LEVEL.made_by("imp_level_with_baselines_seeds5_9") and layout.IMP_LEVEL.made_by("imp_level_2")
    assert not layout.IMP_LEVEL.made_by("imp_table") and not layout.BASELINE_LEVEL.made_by("imp_level")
    assert layout.producing_rule("results/figures/conditions_toy_envs.png") == "plot_conditions"
    assert layout.producing_rule("results/figures/earlybird_retrain_vs_finetune_Acrobot-v1.pdf") == (
        "eb_plot_retrain_vs_finetune"
    )
    assert layout.producing_rule("results/figures/earlybird_retrain.png") == "eb_plot_runs"
    assert layout.producing_rule("results/somewhere/else.txt") == "unknown"
    assert "made by rule 'imp_level_with_baselines' (or a rule of its generated family" in str(
        artifact_error("results/baselines/rl/Acrobot-v1/random_reinit/seed0/level4/weights.pt", "cut off")
    )
