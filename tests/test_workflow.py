"""The workflow as a user runs it: dry-runs of every preset, a real run of configs/ci.yaml in a temp dir,
no-op reruns, per-task reruns, corrupt artefacts, the inspection command, the report and the linters."""

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import torch
import yaml
from conftest import BIN, REPO, copy_workflow, scheduled_outputs, scheduled_priorities, snakemake

from rltickets.infra.compare import TIMING

pytestmark = pytest.mark.workflow


@pytest.mark.parametrize("preset", [[], ["--configfile", "configs/ci.yaml"], ["--configfile", "configs/paper.yaml"]])
def test_dry_run_of_every_preset(tmp_path, preset):
    proc = snakemake(copy_workflow(tmp_path), "-n", *preset)
    assert "imp_level" in proc.stdout and "plot_rl_vs_bc" in proc.stdout
    # Jobs that start IMP chains go before level jobs, so every chain starts early (rules/common.smk).
    priorities = scheduled_priorities(proc)
    for rule in ("train_expert", "initial_parameters", "collect_bc_dataset"):
        assert priorities[rule] == {1}, rule
    assert all(priorities[rule] == {0} for rule in priorities if rule.startswith("imp_level"))


def test_bad_config_fails_before_any_job(tmp_path):
    root = copy_workflow(tmp_path)
    (root / "bad.yaml").write_text("imp: {prune_fraction: 1.5}\n")
    proc = snakemake(root, "--cores", "1", "--configfile", "bad.yaml", check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "imp.prune_fraction" in out and "strictly between 0 and 1" in out
    assert not (root / "results").exists()


def test_ci_run_produces_tables_and_figure(ci_run):
    table = pd.read_csv(ci_run / "results/tables/imp.csv")
    assert len(table) == 2 * 3 * 2 * 4  # paradigms x tasks x seeds x levels
    assert set(table["paradigm"]) == {"rl", "bc"}
    assert set(table["task"]) == {"CartPole-v1", "Acrobot-v1", "Pendulum-v1"}
    level3 = table[table["level"] == 3]["fraction_remaining"]
    assert level3.between(0.8**3 - 0.01, 0.8**3 + 0.01).all()
    critical = pd.read_csv(ci_run / "results/tables/critical_sparsity.csv")
    assert len(critical) == 6
    for suffix in ("png", "pdf"):
        figure = ci_run / f"results/figures/fig2_rl_vs_bc.{suffix}"
        assert figure.stat().st_size > 10_000
    metrics = json.loads((ci_run / "results/imp/bc/CartPole-v1/seed1/level2/metrics.json").read_text())
    assert metrics["config"]["imp"]["prune_fraction"] == 0.2 and len(metrics["history"]) >= 1
    assert metrics["versions"]["torch"].startswith("2.13.0")
    # Every job ran with the numerics config.yaml pins, and torch and MKL honoured them.
    cpu = metrics["versions"]["cpu"]
    assert cpu["env"] == {
        "MKL_CBWR": "COMPATIBLE",
        "ATEN_CPU_CAPABILITY": "avx2",
        "OPENBLAS_CORETYPE": "Haswell",
        "RLTICKETS_ENGINE_MATMUL": "openblas",
    }
    assert cpu["torch"]["capability"] == "AVX2" and cpu["mkl_branch"] == "COMPATIBLE" and cpu["model"]
    assert cpu["openblas_architecture"] == "Haswell"
    # One level job per (paradigm, task, level); level 3 also trains the baselines (baselines.levels [3]).
    assert (ci_run / "results/benchmarks/imp_level/rl/Acrobot-v1/level2.tsv").exists()
    assert (ci_run / "results/benchmarks/imp_level_with_baselines/rl/Acrobot-v1/level3.tsv").exists()


def test_ci_run_trains_all_four_conditions_on_a_discrete_and_a_continuous_task(ci_run):
    table = pd.read_csv(ci_run / "results/tables/conditions.csv")
    conditions = {"mask_weights", "mask_permuted", "permuted_permuted", "random_reinit"}
    for task in ("CartPole-v1", "Pendulum-v1"):
        for paradigm in ("rl", "bc"):
            at_level3 = table[(table["task"] == task) & (table["paradigm"] == paradigm) & (table["level"] == 3)]
            assert set(at_level3["condition"]) == conditions, (task, paradigm)
            # Every condition keeps the ticket's global count of weights.
            assert at_level3["fraction_remaining"].nunique() == 1
    assert set(table.loc[table["task"] == "Pendulum-v1", "action_space"]) == {"continuous"}
    share = pd.read_csv(ci_run / "results/tables/mask_share.csv")
    assert len(share) == 2 * 3 and {"mask_share_mean", "ci95_low", "n_seeds", "verdict"} <= set(share.columns)
    for name in ("conditions_toy_envs", "fig1_conditions_continuous", "summary_cartpole_pd"):
        assert (ci_run / f"results/figures/{name}.png").stat().st_size > 10_000
    mask = ci_run / "results/baselines/bc/Pendulum-v1/permuted_permuted/seed0/level3"
    proc = subprocess.run([sys.executable, "-m", "rltickets", "inspect", str(mask)], capture_output=True, text=True)
    assert proc.returncode == 0 and "angular velocity" in proc.stdout, proc.stderr


def test_second_run_schedules_nothing(ci_run):
    proc = snakemake(ci_run, "-n", "--configfile", "configs/ci.yaml")
    assert "Nothing to be done" in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("section", "key", "value", "chains", "expert_reruns"),
    [
        ("bc", "epochs", 4, ["bc/CartPole-v1/"], False),
        ("rl", "eval_episodes", 3, ["rl/CartPole-v1/"], False),
        # A PPO change retrains the expert, hence its dataset and the BC chain too; Acrobot is untouched.
        ("ppo", "n_epochs", 5, ["rl/CartPole-v1/", "bc/CartPole-v1/"], True),
    ],
)
def test_changing_one_task_setting_reruns_only_that_task(ci_run, section, key, value, chains, expert_reruns):
    config = yaml.safe_load((ci_run / "configs/ci.yaml").read_text())  # an overlay: it may leave a section out
    config["task_settings"]["CartPole-v1"].setdefault(section, {})[key] = value
    (ci_run / "changed.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake(ci_run, "-n", "--configfile", "changed.yaml")
    outputs = scheduled_outputs(proc)
    level_outputs = level_metrics_files(outputs)
    assert len(level_outputs) == len(chains) * 2 * 4  # chains x 2 seeds x 4 levels
    assert all(any(f"results/imp/{c}" in o for c in chains) for o in level_outputs)
    assert any("experts/CartPole-v1" in o for o in outputs) == expert_reruns
    # No Acrobot job reruns; neither do the Early-Bird figures and tables, which do not read the PPO tasks (their
    # captions describe every task's budget, but as a CaptionText, which is no rerun trigger).
    files = [f.strip() for o in outputs for f in o.split(",")]
    assert files and not any("Acrobot-v1" in f or "earlybird" in f for f in files)


def test_more_levels_only_adds_levels(ci_run):
    config = yaml.safe_load((ci_run / "configs/ci.yaml").read_text())
    config["imp"]["levels"] = 4
    (ci_run / "deeper.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake(ci_run, "-n", "--configfile", "deeper.yaml")
    outputs = scheduled_outputs(proc)
    level_outputs = level_metrics_files(outputs)
    chains = list((ci_run / "results/imp").glob("*/*/seed*/level3/metrics.json"))
    assert len(chains) >= 2 * 3 * 2  # paradigms x tasks x seeds (+ the gridworld's chains of the representations)
    assert len(level_outputs) == len(chains)  # one new level per chain
    assert all("/level4/" in o for o in level_outputs)


def level_metrics_files(outputs: list[str]) -> list[str]:
    """The ticket level folders among a dry run's scheduled outputs (a level job writes one per seed)."""
    files = [f.strip() for o in outputs for f in o.split(",")]
    return [f for f in files if "results/imp/" in f and f.endswith("metrics.json")]


def test_seed_chunks_write_what_whole_level_jobs_write(ci_run, tmp_path):
    """`imp.seeds_per_job: 1` trains each seed of a level (and its baselines) in a job of its own: same files, same
    numbers, bit for bit, as the ci run's jobs of all seeds."""
    root = tmp_path / "copy"
    shutil.copytree(ci_run, root)
    config = yaml.safe_load((root / "configs/ci.yaml").read_text())
    config["imp"]["seeds_per_job"] = 1
    (root / "chunked.yaml").write_text(yaml.safe_dump(config))
    folders = ["imp/rl/CartPole-v1/seed1/level3", "baselines/bc/Pendulum-v1/random_reinit/seed1/level3"]
    targets = [f"results/{folder}/metrics.json" for folder in folders]
    proc = snakemake(root, "-n", "-f", *targets, "--configfile", "chunked.yaml")
    assert "rule imp_level_with_baselines_seeds1_1:" in proc.stdout and "seeds0_0" not in proc.stdout
    snakemake(root, "--cores", "2", "-f", *targets, "--configfile", "chunked.yaml")
    for folder in folders:
        whole, chunked = ci_run / f"results/{folder}", root / f"results/{folder}"
        for name in ("mask.pt", "weights.pt"):
            a, b = (torch.load(d / name, weights_only=True) for d in (whole, chunked))
            assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), (folder, name)
        # Only how the job ran may differ (wall times, batch_networks): rltickets.infra.compare.TIMING.
        a, b = (
            {k: v for k, v in json.loads((d / "metrics.json").read_text()).items() if not TIMING.search(k)}
            for d in (whole, chunked)
        )
        assert a == b, folder


def test_corrupt_weights_error_names_file_and_rule(ci_run, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(ci_run, root)
    weights = root / "results/imp/rl/CartPole-v1/seed0/level1/weights.pt"
    weights.write_bytes(weights.read_bytes()[:300])
    target = "results/imp/rl/CartPole-v1/seed0/level2/metrics.json"
    proc = snakemake(root, "--cores", "1", "--configfile", "configs/ci.yaml", "-f", target, check=False)
    assert proc.returncode != 0
    log = (root / "results/logs/imp_level/rl/CartPole-v1/level2.log").read_text()
    assert "level1/weights.pt: cannot be read" in log and "rule 'imp_level'" in log


def test_inspect_command_on_a_real_level(ci_run):
    level = ci_run / "results/imp/rl/Acrobot-v1/seed1/level3"
    proc = subprocess.run([sys.executable, "-m", "rltickets", "inspect", str(level)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "level 3" in proc.stdout and "theta1 angular velocity" in proc.stdout and "action_net.weight" in proc.stdout
    as_json = subprocess.run(
        [sys.executable, "-m", "rltickets", "inspect", str(level), "--json"], capture_output=True, text=True
    )
    report = json.loads(as_json.stdout)
    assert report["fraction_remaining"] == pytest.approx(0.8**3, abs=0.01)
    assert len(report["inputs"]) == 6
    missing = subprocess.run(
        [sys.executable, "-m", "rltickets", "inspect", str(level.parent / "level9")], capture_output=True, text=True
    )
    assert missing.returncode == 2 and "level9/metrics.json: file is missing" in missing.stderr


def test_progress_of_a_finished_run_agrees_with_its_critical_sparsity_table(ci_run):
    proc = subprocess.run(
        [sys.executable, "-m", "rltickets", "progress", str(ci_run / "results"), "--json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    chains = pd.DataFrame(json.loads(proc.stdout)["chains"]).set_index(["task", "paradigm"])
    table = pd.read_csv(ci_run / "results/tables/critical_sparsity.csv").set_index(["task", "paradigm"])
    assert set(table.index) <= set(chains.index)  # and chains outside imp.csv (the gridworld's) are listed too
    for key, row in table.iterrows():
        assert chains.loc[key, "levels"] == f"0-{int(row['sparsest_level'])}", key
        assert chains.loc[key, "critical_level"] == pytest.approx(row["critical_level"], nan_ok=True), key
        assert chains.loc[key, "mean_best_last"] == pytest.approx(row["sparsest_mean_best"]), key


def test_report_builds(ci_run):
    snakemake(ci_run, "--configfile", "configs/ci.yaml", "--report", "report.html")
    html = (ci_run / "report.html").read_text()
    assert "fig2_rl_vs_bc.png" in html and "critical_sparsity.csv" in html and "claims.csv" in html
    categories = ("RL vs BC", "Disentangling baselines", "Minimal task representations", "Early-Bird tickets")
    assert all(category in html for category in (*categories, "Claims", "Run statistics"))
    assert "This run" in html  # the run description (a CaptionText param) reaches the captions
    snakemake(ci_run, "--configfile", "configs/ci.yaml", "--report", "report.zip")
    assert (ci_run / "report.zip").stat().st_size > 100_000


def test_ci_run_writes_claims_and_run_statistics(ci_run):
    claims = pd.read_csv(ci_run / "results/tables/claims.csv")
    assert set(claims["claim_id"].astype(str)) == {"1", "2", "3", "4", "5"}
    assert claims["verdict"].notna().all() and claims["statement"].notna().all()
    # 2 seeds and 1 repetition are below analysis.claims_min_n: nothing can be called reproduced at this n.
    assert not claims["verdict"].isin(["reproduced", "not reproduced"]).any()
    stats = pd.read_csv(ci_run / "results/tables/run_statistics.csv").set_index("rule")
    # One level job per (paradigm, task, level) of the Fig. 2 tasks and the gridworld.
    level_jobs = {p.parent.parent.parent / p.parent.name for p in (ci_run / "results/imp").rglob("metrics.json")}
    level_rules = stats.index.str.fullmatch(r"imp_level(_with_baselines)?(_\d+)?")
    assert stats.loc[level_rules, "jobs"].sum() == len(level_jobs) and stats.loc["imp_level", "cpu_total_s"] > 0
    assert (ci_run / "results/figures/run_statistics.png").stat().st_size > 10_000


def test_workflow_is_lint_and_format_clean():
    proc = snakemake(REPO, "--lint", "--configfile", "configs/ci.yaml", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fmt = subprocess.run(
        [str(BIN / "snakefmt"), "--check", "Snakefile", "rules"], cwd=REPO, capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_make_docs_copies_figures_claims_and_provenance(ci_run, tmp_path):
    out = tmp_path / "docs_results"
    script = REPO / "tools/update_docs.py"
    override = tmp_path / "override.yaml"
    override.write_text("seeds: [0, 1]\n")
    args = ["--configfile", "configs/ci.yaml", str(override), "--out", str(out)]
    proc = subprocess.run([sys.executable, str(script), *args], cwd=ci_run, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    figures = {p.name for p in (ci_run / "results/figures").glob("*.png")}
    assert {p.name for p in out.glob("*.png")} == figures and "fig2_rl_vs_bc.png" in figures
    claims = (out / "claims.md").read_text()
    assert claims.count("\n") == 2 + len(pd.read_csv(ci_run / "results/tables/claims.csv"))
    provenance = (out / "PROVENANCE.md").read_text()
    assert provenance.count("MD5") == 2 and str(override) in provenance
    assert provenance.startswith(f"# Provenance of {out.as_posix()}\n")
    copied = (out / "critical_sparsity.csv").read_text()
    assert copied == (ci_run / "results/tables/critical_sparsity.csv").read_text()
    assert (out / "config.yaml").read_text() == (ci_run / "configs/ci.yaml").read_text()
    assert (out / "config_override1.yaml").read_text() == override.read_text()
    missing = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True)
    assert missing.returncode == 2 and "rule 'claims_table'" in missing.stderr


def test_verify_reruns_the_slice_of_a_reference_and_finds_it_bit_identical(ci_run, tmp_path):
    out = tmp_path / "docs_results"
    made = subprocess.run(
        [sys.executable, str(REPO / "tools/update_docs.py"), "--configfile", "configs/ci.yaml", "--out", str(out)],
        cwd=ci_run,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    reference = json.loads((out / "verify.json").read_text())
    assert len(reference["files"]) == 6 and reference["machine"]["env"]["MKL_CBWR"] == "COMPATIBLE"
    assert "MKL branch COMPATIBLE" in (out / "PROVENANCE.md").read_text()
    verify = [sys.executable, str(REPO / "tools/verify.py"), "--reference", str(out / "verify.json")]
    proc = subprocess.run([*verify, "--workdir", str(tmp_path / "rerun")], capture_output=True, text=True)
    assert proc.returncode == 0 and "bit-identical: 6 tensor files and 3 metrics records" in proc.stdout, (
        proc.stdout + proc.stderr
    )
    missing = subprocess.run([*verify[:2], "--reference", str(tmp_path / "none.json")], capture_output=True, text=True)
    assert missing.returncode == 2 and "no reference to verify against" in missing.stderr
