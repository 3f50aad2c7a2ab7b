"""The claim-1 sensitivity study as Snakemake runs it: a dry run of configs/ci.yaml plus a small overlay builds the
variant chains' jobs and reuses the base task's expert, θ0 and data where the arm leaves them unchanged; a tiny real
run writes the table and the figure."""

import re
import subprocess
import sys

import pandas as pd
import pytest
from conftest import REPO, copy_workflow, snakemake

from rltickets.infra import layout
from rltickets.sensitivity.tables import COLUMNS

pytestmark = pytest.mark.workflow

OVERLAY = """
tasks: [CartPole-v1]
sensitivity:
  arms:
    keep: {factor: output layer, imp: {output_layer: keep, levels: 2}}
    data2: {factor: BC data, paradigms: [bc], scale: {bc_data: {n_transitions: 2}}}
"""


def dry_run_outputs(root, *args) -> dict[str, list[str]]:
    """rule -> every output path of the jobs a dry run lists (and the inputs, under `<rule>:input`)."""
    found: dict[str, list[str]] = {}
    rule = None
    for line in snakemake(root, "-n", *args).stdout.splitlines():
        text = line.strip()
        if match := re.match(r"^(?:local)?rule (\w+):$", text):
            rule = match.group(1)
        elif rule and text.startswith(("output:", "input:")):
            key = rule if text.startswith("output:") else f"{rule}:input"
            found.setdefault(key, []).extend(p.strip() for p in text.split(":", 1)[1].split(","))
    return found


def test_a_dry_run_builds_the_variant_chains_and_reuses_the_base_files(tmp_path):
    root = copy_workflow(tmp_path)
    (root / "overlay.yaml").write_text(OVERLAY)
    jobs = dry_run_outputs(root, "sensitivity", "--configfile", "configs/ci.yaml", "overlay.yaml")
    outputs = [p for rule, paths in jobs.items() if not rule.endswith(":input") for p in paths]
    level = layout.IMP_LEVEL.file
    for seed in (0, 1):
        for paradigm in ("rl", "bc"):
            assert level("metrics.json", paradigm=paradigm, task="CartPole-v1@keep", seed=seed, level=2) in outputs
            assert level("metrics.json", paradigm=paradigm, task="CartPole-v1@keep", seed=seed, level=3) not in outputs
        assert level("metrics.json", paradigm="bc", task="CartPole-v1@data2", seed=seed, level=3) in outputs
    assert not any("rl/CartPole-v1@data2" in p for p in outputs), "a BC-only arm trains no RL chain"
    assert not any("@" in p for p in jobs.get("train_expert", []) + jobs.get("initial_parameters", []))
    assert not any("@" in p for p in outputs if p.startswith("results/baselines/"))
    variant_data = [p for p in jobs["collect_bc_dataset"] if "@" in p]
    assert sorted(variant_data) == [layout.BC_DATASET(task="CartPole-v1@data2", seed=s) for s in (0, 1)]
    # the variant's datasets are the base task's experts' rollouts: no expert of its own
    experts = jobs["collect_bc_dataset:input"]
    assert "@" not in "".join(experts) and layout.EXPERT.file("model.zip", task="CartPole-v1", seed=0) in experts
    assert layout.SENSITIVITY_TABLE() in outputs and layout.SENSITIVITY_FIGURE.file("png") in outputs


# ci budgets, smaller still: one task, two seeds, two levels (0 and 1), one arm.
TINY = """
tasks: [CartPole-v1]
imp: {levels: 1}
baselines: {conditions: [], levels: []}
representations: {masked_input: {level: 1}}
task_settings:
  CartPole-v1:
    expert: {total_timesteps: 4096, eval_every_steps: 4096}
    rl: {total_timesteps: 2048, eval_every_steps: 1024}
sensitivity:
  arms:
    keep: {factor: output layer, imp: {output_layer: keep}}
"""


def test_a_tiny_study_writes_the_table_and_the_figure(tmp_path):
    root = copy_workflow(tmp_path)
    (root / "tiny.yaml").write_text(TINY)
    snakemake(root, "--cores", "2", "sensitivity", "--configfile", "configs/ci.yaml", "tiny.yaml")
    table = pd.read_csv(root / layout.SENSITIVITY_TABLE())
    assert list(table.columns) == list(COLUMNS)
    assert set(table["arm"]) == {"base", "keep"} and set(table["seed"]) == {0, 1}
    assert set(table["metric"]) == {"best", "last3"} and set(table["threshold"]) == {0.95, 0.9, 0.8}
    assert (root / layout.SENSITIVITY_FIGURE.file("png")).stat().st_size > 0
    metrics = root / layout.IMP_LEVEL.file("metrics.json", paradigm="rl", task="CartPole-v1@keep", seed=0, level=1)
    assert '"task": "CartPole-v1@keep"' in metrics.read_text()

    # docs/results-sensitivity from this run, which has no claims table: the figure, the table and its verdicts.
    out = tmp_path / "docs_sensitivity"
    script = [sys.executable, str(REPO / "tools/update_docs.py"), "--part", "sensitivity", "--out", str(out)]
    proc = subprocess.run([*script, "--configfile", "configs/ci.yaml", "tiny.yaml"], cwd=root, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in out.iterdir()} == {
        "sensitivity_claim1.png",
        "sensitivity.csv",
        "verdicts.md",
        "config.yaml",
        "config_override1.yaml",
        "PROVENANCE.md",
    }
    groups = table.drop_duplicates(["task", "arm", "metric", "threshold"])
    verdicts = (out / "verdicts.md").read_text().splitlines()
    assert len(verdicts) == 2 + len(groups) and all(v in (out / "verdicts.md").read_text() for v in groups["verdict"])
    provenance = (out / "PROVENANCE.md").read_text()
    assert "--part sensitivity" in provenance and "torch capability" in provenance  # the machine, from a level
    (tmp_path / "not_a_run").mkdir()
    proc = subprocess.run(script, cwd=tmp_path / "not_a_run", capture_output=True, text=True)
    assert proc.returncode == 2 and "rule 'sensitivity_table'" in proc.stderr
