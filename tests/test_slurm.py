"""The SLURM profile against a real single-node SLURM (tools/local_slurm.sh brings it up, installing it if needed).

Runs configs/ci.yaml with `seeds: [0]` on top (to stay within a few minutes) through `--profile profiles/slurm` up
to Fig. 2 (results/figures/fig2_rl_vs_bc.png and what it needs: experts, θ0, BC data, the IMP chains of every task,
the table), then checks that the jobs really went through SLURM: one SLURM log per job, the partitions the profile
asks for, the sub-minute jobs packed into group jobs, and every SLURM job of the run COMPLETED. Only what a cluster
without accounting (no slurmdbd) needs is overridden on the command line. Skipped, with the reason, only when SLURM
cannot be installed or started on this machine.
"""

import re
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, copy_workflow, snakemake

pytestmark = pytest.mark.workflow

BRING_UP = REPO / "tools" / "local_slurm.sh"
TARGET = "results/figures/fig2_rl_vs_bc.png"
# One seed of the ci preset: ~40 Snakemake jobs. Both seeds double the time (22 min on a heavily loaded 2-core
# machine) without exercising anything new.
CI_SUBSET = ("--configfile", "configs/ci.yaml", "one_seed.yaml")
# What the local cluster lacks compared with a production one: no accounting database (so job states come from
# squeue, and there is no account to charge), and jobs finish in seconds (so poll every 2 s, not every 40 s).
LOCAL_CLUSTER_ARGS = (
    "--slurm-status-command",
    "squeue",
    "--slurm-no-account",
    "--slurm-init-seconds-before-status-checks",
    "2",
)


def _bring_up(command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(BRING_UP), command], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def local_slurm():
    """A running single-node SLURM; stopped afterwards only if this fixture started it."""
    already_running = _bring_up("status").returncode == 0
    started = _bring_up("start")
    if started.returncode == 3:
        pytest.skip(f"no SLURM on this machine: {started.stderr.strip()}")
    assert started.returncode == 0, f"local_slurm.sh start failed:\n{started.stdout}\n{started.stderr}"
    yield
    if not already_running:
        _bring_up("stop")


def _squeue_states(run_id: str) -> dict[str, tuple[str, str]]:
    """SLURM job id -> (state, partition) of every job of one Snakemake run (MinJobAge keeps finished ones listed)."""
    out = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--name", run_id, "--format=%i|%T|%P"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {job: (state, partition) for job, state, partition in (line.split("|") for line in out.split())}


@pytest.fixture(scope="module")
def slurm_run(local_slurm, tmp_path_factory) -> tuple[Path, str]:
    root = copy_workflow(tmp_path_factory.mktemp("slurm_run"))
    (root / "one_seed.yaml").write_text("seeds: [0]\n")
    proc = snakemake(root, "--profile", "profiles/slurm", *CI_SUBSET, *LOCAL_CLUSTER_ARGS, TARGET)
    return root, proc.stdout + proc.stderr


def test_ci_config_reaches_the_figure_through_slurm(slurm_run):
    root, log = slurm_run
    assert (root / TARGET).stat().st_size > 10_000
    run_id = re.search(r"SLURM run ID: (\S+)", log).group(1)
    states = _squeue_states(run_id)
    submitted = re.findall(r"submitted with SLURM jobid (\d+)", log)
    assert submitted and set(submitted) <= set(states), "every submitted job must be known to this SLURM"
    assert {state for state, _ in states.values()} == {"COMPLETED"}, states
    # Per-rule partitions from the profile: experts go to `long`, everything else to `short`.
    expert_jobs = re.findall(r"rule_train_expert/[^/]+/(\d+)\.log", log)
    assert expert_jobs and all(states[job][1] == "long" for job in expert_jobs)
    assert {partition for _, partition in states.values()} == {"short", "long"}


def test_every_job_has_a_slurm_log_and_its_own_log(slurm_run):
    root, _ = slurm_run
    slurm_logs = root / "results" / "logs" / "slurm"
    levels = sorted(root.glob("results/imp/*/*/seed*/level*/metrics.json"))
    level_logs = list(slurm_logs.glob("rule_imp_level*/*/*.log"))
    assert len(levels) >= 2 * 2 * 4  # paradigms x tasks x levels of configs/ci.yaml, one seed
    # One SLURM job, with its log, per (paradigm, task, level): it trains every seed of that level.
    level_jobs = {(m.parts[-5], m.parts[-4], m.parts[-2]) for m in levels}
    assert len(level_logs) == len(level_jobs)
    for metrics in levels:
        paradigm, task, _, level = metrics.parent.relative_to(root / "results/imp").parts
        job_logs = list((root / "results/logs").glob(f"imp_level*/{paradigm}/{task}/{level}.log"))
        assert len(job_logs) == 1 and job_logs[0].stat().st_size > 0


def test_sub_minute_jobs_are_packed_into_group_jobs(slurm_run):
    root, log = slurm_run
    # All θ0 and random-policy jobs: one SLURM job (`setup`); the table and the figure: one more (`summary`).
    slurm_logs = root / "results/logs/slurm"
    assert len(list(slurm_logs.glob("group_setup_*/*.log"))) == 1
    assert len(list(slurm_logs.glob("group_summary_*/*.log"))) == 1
    assert not list(slurm_logs.glob("rule_initial_parameters")) and not list(slurm_logs.glob("rule_imp_table"))
    jobs_run = int(re.findall(r"(\d+) of \d+ steps \(100%\) done", log)[-1])
    setup_jobs = len(list(root.glob("results/init/*/seed*.pt"))) + len(list(root.glob("results/random/*.json")))
    summary_jobs = 2  # imp_table, plot_rl_vs_bc (what the figure needs)
    submitted = len(re.findall(r"submitted with SLURM jobid", log))
    assert submitted == jobs_run - setup_jobs - summary_jobs + 2


def test_rerun_through_the_profile_schedules_nothing(slurm_run):
    root, _ = slurm_run
    proc = snakemake(root, "-n", "--profile", "profiles/slurm", *CI_SUBSET, *LOCAL_CLUSTER_ARGS, TARGET)
    assert "Nothing to be done" in proc.stdout + proc.stderr
