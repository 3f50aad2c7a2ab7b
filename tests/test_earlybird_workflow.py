"""The Early-Bird part of the workflow as a user runs it: configs/ci.yaml restricted to the Early-Bird targets, in a
scratch copy; then no-op reruns, a per-task settings change and a corrupt artefact."""

import json

import pandas as pd
import pytest
import yaml
from conftest import copy_workflow, load_config, scheduled_outputs, snakemake

pytestmark = pytest.mark.workflow

CI = load_config("configs/ci.yaml")["earlybird"]
FIGURES = ["earlybird_mask_similarity", "earlybird_retrain", "earlybird_finetune", "earlybird_exploit"] + [
    f"earlybird_retrain_vs_finetune_{t}" for t in CI["tasks"]
]
TABLES = ["earlybird_runs", "earlybird_verdicts", "earlybird_mask_stability"]
TARGETS = [f"results/tables/{name}.csv" for name in TABLES] + [f"results/figures/{name}.png" for name in FIGURES]


@pytest.fixture(scope="module")
def eb_run(tmp_path_factory):
    root = copy_workflow(tmp_path_factory.mktemp("eb_run"))
    snakemake(root, "--cores", "2", *TARGETS, "--configfile", "configs/ci.yaml")
    return root


def test_ci_run_builds_every_experiment(eb_run):
    runs = pd.read_csv(eb_run / "results/tables/earlybird_runs.csv")
    n_p, n_e = len(CI["prune_fractions"]), len(CI["prune_episodes"])
    per_task = {"unpruned": 1, "rewind": n_p * n_e, "finetune": n_p * n_e, "winning_ticket": n_p, "eb_exploit": n_p}
    for task in CI["tasks"]:
        counts = runs[runs["task"] == task]["experiment"].value_counts().to_dict()
        assert counts == {k: v * CI["repetitions"] for k, v in per_task.items()}
    assert runs["test_return"].notna().all() and (runs["train_episodes"] <= CI["max_episodes"]).all()
    verdicts = pd.read_csv(eb_run / "results/tables/earlybird_verdicts.csv")
    assert len(verdicts) == len(CI["tasks"]) * 2 * n_p * n_e
    criteria = [c for c in verdicts.columns if c.startswith("c") and c[1].isdigit()]
    assert len(criteria) == 4 and verdicts["early_bird"].eq(verdicts[criteria].all(axis=1)).all()
    stability = pd.read_csv(eb_run / "results/tables/earlybird_mask_stability.csv")
    assert len(stability) == len(CI["tasks"]) * n_p
    assert stability["similarity_first_to_last"].between(0, 1).all()
    for name in FIGURES:
        assert (eb_run / f"results/figures/{name}.png").stat().st_size > 10_000
        assert (eb_run / f"results/figures/{name}.pdf").exists()
    # The loose CI threshold makes EB Exploit find a point and fine-tune.
    exploit = json.loads((eb_run / "results/earlybird/CartPole-v0/exp4_exploit/P0.5/rep0/metrics.json").read_text())
    assert exploit["found"] and exploit["eb_episode"] >= exploit["epsilon_min_episode"]
    dense = json.loads((eb_run / "results/earlybird/Acrobot-v1/dense/rep0/log.json").read_text())
    assert dense["episodes"] == CI["max_episodes"] and dense["config"]["task"]["epsilon"]["per"] == "step"
    assert (eb_run / "results/benchmarks/eb_dense/CartPole-v0/rep0.tsv").exists()


def test_second_run_and_other_task_changes_rerun_nothing_or_only_that_task(eb_run):
    proc = snakemake(eb_run, "-n", *TARGETS, "--configfile", "configs/ci.yaml")
    assert "Nothing to be done" in proc.stdout + proc.stderr
    config = yaml.safe_load((eb_run / "configs/ci.yaml").read_text())
    config["earlybird"]["task_settings"]["Acrobot-v1"]["learning_rate"] = 0.002
    (eb_run / "changed.yaml").write_text(yaml.safe_dump(config))
    outputs = scheduled_outputs(snakemake(eb_run, "-n", *TARGETS, "--configfile", "changed.yaml"))
    runs = [o for o in outputs if "results/earlybird/" in o]
    assert runs and all("Acrobot-v1" in o for o in runs)


def test_corrupt_checkpoint_names_the_file_and_its_rule(eb_run, tmp_path):
    root = copy_workflow(tmp_path / "copy")
    src = eb_run / "results/earlybird/CartPole-v0/dense/rep0"
    dst = root / "results/earlybird/CartPole-v0/dense/rep0"
    dst.mkdir(parents=True)
    for f in src.iterdir():
        dst.joinpath(f.name).write_bytes(f.read_bytes())
    dst.joinpath("checkpoints.pt").write_bytes(b"not a torch file")
    target = "results/earlybird/CartPole-v0/exp2_rewind/P0.5/e2/rep0/metrics.json"
    proc = snakemake(root, "--cores", "1", target, "--configfile", "configs/ci.yaml", check=False)
    assert proc.returncode != 0
    log = (root / "results/logs/eb_pruned/CartPole-v0/exp2_rewind/P0.5/e2/rep0.log").read_text()
    assert "checkpoints.pt" in log and "rule 'eb_dense'" in log


def test_prune_episode_beyond_the_episode_cap_fails_before_any_job(tmp_path):
    root = copy_workflow(tmp_path)
    config = yaml.safe_load((root / "configs/ci.yaml").read_text())
    config["earlybird"]["prune_episodes"] = [2, 99]
    (root / "bad.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake(root, "-n", "--configfile", "bad.yaml", check=False)
    assert proc.returncode != 0 and "earlybird.prune_episodes" in proc.stdout + proc.stderr
