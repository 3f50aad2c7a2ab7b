"""Reliability: the pipeline survives what happens on clusters and laptops, and loses nothing.

1. killed runs (SIGKILL of the whole Snakemake process tree mid-training, mid-level, mid-figure) resume with the
   README's command, rerun only the interrupted jobs and end with the tables of an uninterrupted run;
2. corrupt or missing artefacts fail with an error naming the file, the problem and the rule that makes it;
3. bad configs fail through the real `snakemake` CLI before any job starts, naming the key and allowed values;
4. the same config and seed give identical tables and tensors with --cores 1 and --cores 2;
5. `.pt` files holding pickled objects are refused;
6. a second `snakemake` on a directory in use is refused by the lock and damages nothing.

The runs use a reduced config derived from configs/ci.yaml at test time (one task, one seed, two levels, tiny
budgets), so that sections other stages add to the presets stay valid here, and build the IMP stage's targets.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import shutil
import signal
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import BIN, copy_workflow, load_config, snakemake

from rltickets.bc.dataset import check_dataset
from rltickets.imp.tables import METRIC_KEYS, imp_table
from rltickets.infra import artifacts, tensors
from rltickets.infra.artifacts import ArtifactError
from rltickets.infra.config import ConfigError, check_config

TASK = "CartPole-v1"
CONFIG_FILE = "reduced.yaml"
CONFIG_ARGS = ("--configfile", CONFIG_FILE, "--replace-workflow-config")
# The IMP stage's outputs (imp_outputs() in rules/common.smk) as targets: the Early-Bird and representation stages
# have no off switch in the config, and `all` would run them too.
IMP_TARGETS = (
    "results/tables/imp.csv",
    "results/tables/critical_sparsity.csv",
    "results/figures/fig2_rl_vs_bc.png",
    "results/figures/fig2_rl_vs_bc.pdf",
)
# What `make run` / `make resume` pass on top of --cores (SNAKEMAKE_ARGS).
RUN_ARGS = (*IMP_TARGETS, *CONFIG_ARGS)
LEVELS = 2


def reduced_config() -> dict:
    """configs/ci.yaml cut to one task, one seed, RL and BC, two levels and tiny budgets."""
    config = copy.deepcopy(load_config("configs/ci.yaml"))
    config["tasks"], config["seeds"], config["paradigms"] = [TASK], [0], ["rl", "bc"]
    config["imp"]["levels"] = LEVELS
    settings = config["task_settings"][TASK]
    settings.pop("seeds", None)  # a per-task seed list would override the one seed
    settings["expert"] = {"total_timesteps": 4096, "eval_every_steps": 2048, "eval_episodes": 2}
    settings["rl"] = {"total_timesteps": 2048, "eval_every_steps": 1024, "eval_episodes": 2}
    settings["bc_data"]["n_transitions"] = 500
    settings["bc"].update(epochs=2, eval_every_epochs=1, eval_episodes=2)
    config["task_settings"] = {TASK: settings}
    # Other stages: off where they have a switch (baselines), else only made consistent with the one task (they
    # are not targeted, see IMP_TARGETS).
    config["baselines"]["conditions"] = []
    if "levels" in config["baselines"]:
        config["baselines"]["levels"] = []
    if "representations" in config:
        config["representations"]["grid_task"] = None  # its task_settings entry is dropped above
        config["representations"]["init_rescaling"].update(modes=[], tasks=[])
    return config


def reduced_workflow(dest: Path) -> Path:
    root = copy_workflow(dest)
    (root / CONFIG_FILE).write_text(yaml.safe_dump(reduced_config(), sort_keys=False))
    return root


# ---- Running, watching and killing snakemake ----
@dataclass
class Job:
    rule: str
    outputs: list[str]
    log: str | None


@dataclass
class Run:
    """One snakemake invocation's jobs as it reported them (its log output)."""

    started: dict[int, Job]
    finished: set[int]
    text: str

    def finished_jobs(self) -> list[Job]:
        return [job for jobid, job in self.started.items() if jobid in self.finished]

    def interrupted_jobs(self) -> list[Job]:
        return [job for jobid, job in self.started.items() if jobid not in self.finished]

    def outputs(self) -> set[str]:
        return {o for job in self.started.values() for o in job.outputs}


JOB_BLOCK = re.compile(r"^(?:local)?rule (\w+):\n((?:    .*\n)+)", re.MULTILINE)


def parse_run(text: str) -> Run:
    started = {}
    for match in JOB_BLOCK.finditer(text):
        fields = dict(line.strip().split(": ", 1) for line in match.group(2).splitlines() if ": " in line)
        if "jobid" in fields and "output" in fields:  # `all` has no output
            started[int(fields["jobid"])] = Job(match.group(1), fields["output"].split(", "), fields.get("log"))
    finished = {int(jobid) for jobid in re.findall(r"Finished jobid: (\d+)", text)}
    return Run(started, finished, text)


def start_snakemake(root: Path, name: str, *args: str, **env_vars: str) -> tuple[subprocess.Popen, Path]:
    """Snakemake in the background, in its own process group, its output in root/<name>.out."""
    out = root / f"{name}.out"
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **env_vars}
    with open(out, "w") as fh:
        proc = subprocess.Popen(
            [str(BIN / "snakemake"), *args],
            cwd=root,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc, out


def process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(stat.parent.name))
    tree, stack = [], [pid]
    while stack:
        tree.append(stack.pop())
        stack += children.get(tree[-1], [])
    return tree


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL snakemake and every job it started: what an OOM killer, scancel or a power cut does."""
    tree = process_tree(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    for pid in tree:  # anything that left the process group
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()


def wait_until(proc: subprocess.Popen, out: Path, condition, what: str, timeout: float = 300) -> None:
    """Poll (every millisecond: a figure is written in ~0.1 s) until `condition()`; fail if snakemake ends first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"snakemake ended (exit {proc.returncode}) before {what}:\n{out.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            kill_tree(proc)
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.001)


def resume(root: Path, name: str, *run_args: str) -> Run:
    """`make resume`: `snakemake --unlock` then the same run (see the Makefile)."""
    snakemake(root, "--unlock", *RUN_ARGS)
    proc = snakemake(root, *run_args, *RUN_ARGS)
    (root / f"{name}.out").write_text(proc.stdout + proc.stderr)
    return parse_run(proc.stdout + proc.stderr)


# ---- What "nothing lost, nothing truncated" means ----
TIMING_COLUMNS = re.compile(r"wall_time|_seconds$|_time_s$")


def without_timing(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=[c for c in table.columns if TIMING_COLUMNS.search(c)])


def result_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in (root / "results").rglob("*") if p.is_file()}


def assert_results_intact(root: Path, reference: Path) -> None:
    """Every artefact loads with the checked loaders, figures are whole, tables equal the reference run's."""
    files = result_files(root)
    assert not [f for f in files if f.endswith(".tmp")], "temp files of killed writes were left behind"
    assert files == result_files(reference)
    for name in sorted(files):
        path, ref = root / name, reference / name
        if name.endswith(".pt"):
            loaded, expected = tensors.load_tensors(path), tensors.load_tensors(ref)
            assert loaded.keys() == expected.keys() and all(torch.equal(loaded[k], expected[k]) for k in loaded)
        elif name.endswith(".json"):
            artifacts.load_json(path)
        elif name.endswith(".npz"):
            arrays, expected = artifacts.load_npz(path), artifacts.load_npz(ref)
            assert all(np.array_equal(arrays[k], expected[k]) for k in expected)
        elif name.endswith(".zip"):
            policy, expected = tensors.load_sb3_policy_weights(path), tensors.load_sb3_policy_weights(ref)
            assert all(torch.equal(policy[k], expected[k]) for k in expected)
        elif name.endswith(".csv"):
            pd.testing.assert_frame_equal(
                without_timing(artifacts.load_csv(path)), without_timing(artifacts.load_csv(ref)), check_exact=True
            )
        elif name.endswith(".png"):
            data = path.read_bytes()
            assert data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82"), f"{name} is cut off"
        elif name.endswith(".pdf"):
            assert path.read_bytes().rstrip().endswith(b"%%EOF"), f"{name} is cut off"


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory) -> Path:
    """One uninterrupted run of the reduced config with --cores 2, shared by the tests below."""
    root = reduced_workflow(tmp_path_factory.mktemp("reference"))
    snakemake(root, "--cores", "2", *RUN_ARGS)
    return root


# ---- 1. Killed runs ----
def in_flight(root: Path, *jobs: tuple[str, str]):
    """One of the jobs (log, output) has started its work in this run (start_job opened the log; a log left by an
    earlier, killed run is older) and not yet written its last output."""
    since = time.time()

    def started_now(log: Path) -> bool:
        with contextlib.suppress(FileNotFoundError):
            return log.stat().st_mtime >= since
        return False

    return lambda: any(started_now(root / log) and not (root / output).exists() for log, output in jobs)


def figure_being_written(root: Path):
    """A temp file of the figure exists: the kill lands while savefig writes (atomic_path renames at the end)."""
    figures = root / "results/figures"
    return lambda: figures.is_dir() and any(entry.name.endswith(".tmp") for entry in os.scandir(figures))


KILL_POINTS = [
    (
        "an expert's training",
        "train_expert",
        lambda root: in_flight(
            root, (f"results/logs/train_expert/{TASK}/seed0.log", f"results/experts/{TASK}/seed0/model.zip")
        ),
    ),
    (
        "an IMP level after pruning (level 1 or 2)",
        "imp_level",
        lambda root: in_flight(
            root,
            *[
                (
                    f"results/logs/imp_level/{p}/{TASK}/level{k}.log",
                    f"results/imp/{p}/{TASK}/seed0/level{k}/metrics.json",
                )
                for p in ("rl", "bc")
                for k in range(1, LEVELS + 1)
            ],
        ),
    ),
    ("the figure being written", "plot_rl_vs_bc", figure_being_written),
]


@pytest.mark.workflow
def test_killed_runs_resume_and_lose_nothing(reference_run, tmp_path):
    root = reduced_workflow(tmp_path / "killed")
    finished_before_kills: dict[str, int] = {}  # output or log of every job finished before a kill -> its mtime
    # Outputs all present at the kill: the job may have finished in the milliseconds before Snakemake logs it.
    complete_at_kill: list[set[str]] = []
    runs: list[Run] = []
    for i, (moment, rule, condition) in enumerate(KILL_POINTS):
        args = ("--cores", "2", *RUN_ARGS)
        if i > 0:  # resuming as the README says: unlock, then the same command
            snakemake(root, "--unlock", *RUN_ARGS)
        moment_reached = condition(root)  # before the start: logs older than this run do not count
        proc, out = start_snakemake(root, f"run{i}", *args)
        wait_until(proc, out, moment_reached, moment)
        kill_tree(proc)
        run = parse_run(out.read_text())
        runs.append(run)
        complete_at_kill.append({o for job in run.started.values() for o in job.outputs if (root / o).exists()})
        assert any(job.rule == rule for job in run.interrupted_jobs()), f"kill during {moment} hit no {rule} job"
        for job in run.finished_jobs():
            for name in [*job.outputs, *([job.log] if job.log else [])]:
                finished_before_kills[name] = (root / name).stat().st_mtime_ns
        if i == 0:  # the lock a SIGKILL leaves behind refuses a plain rerun, and says how to unlock
            refused = snakemake(root, *args, check=False)
            assert refused.returncode != 0
            assert "Directory cannot be locked" in refused.stdout + refused.stderr
            assert "--unlock" in refused.stdout + refused.stderr
    final = resume(root, "final", "--cores", "2")
    assert "steps (100%) done" in final.text
    later_runs = [*runs[1:], final]
    for i, run in enumerate(runs):
        redone = set().union(*(r.outputs() for r in later_runs[i:]))
        for job in run.interrupted_jobs():
            if not set(job.outputs) <= complete_at_kill[i]:
                assert set(job.outputs) <= redone, f"interrupted {job.rule} job {job.outputs} was not redone"
        for job in run.finished_jobs():
            assert not set(job.outputs) & redone, f"{job.rule} job {job.outputs} had finished but ran again"
    changed = [name for name, mtime in finished_before_kills.items() if (root / name).stat().st_mtime_ns != mtime]
    assert not changed, f"outputs or logs of jobs finished before a kill were rewritten: {changed}"
    assert_results_intact(root, reference_run)


# ---- 4 and 6. Determinism across --cores, and the lock against a concurrent snakemake ----
@pytest.mark.workflow
def test_cores_1_equals_cores_2_and_concurrent_run_is_refused(reference_run, tmp_path):
    """The reference ran with --cores 2; this run with --cores 1."""
    root = reduced_workflow(tmp_path / "cores1")
    proc, out = start_snakemake(root, "run", "--cores", "1", *RUN_ARGS)
    try:
        wait_until(proc, out, lambda: (root / "results/logs").is_dir(), "the first job")
        second = snakemake(root, "--cores", "1", *RUN_ARGS, check=False)
        assert proc.poll() is None, "the first run should still be working"
        assert second.returncode != 0
        assert "Directory cannot be locked" in second.stdout + second.stderr
    finally:
        proc.wait(timeout=600)
    assert proc.returncode == 0, out.read_text()[-3000:]
    assert_results_intact(root, reference_run)  # identical tables (and tensors): nothing damaged, deterministic


# ---- 2. Corrupt or missing artefacts: loader level, every case ----
def write_level(root: Path, paradigm: str, level: int, name: str) -> Path:
    return root / "results/imp" / paradigm / TASK / "seed0" / f"level{level}" / name


THETA0 = {"mlp_extractor.policy_net.0.weight": torch.randn(64, 4), "action_net.weight": torch.randn(2, 64)}


def truncated_pt(path: Path) -> None:
    tensors.save_tensors(path, {k: v.clone() for k, v in THETA0.items()})
    path.write_bytes(path.read_bytes()[:300])


def save_masks(path: Path, masks: dict) -> None:
    tensors.save_tensors(path, masks)


def metrics_without(path: Path, key: str) -> None:
    metrics = {name: 1 for name in METRIC_KEYS} | {"paradigm": "rl", "task": TASK}
    del metrics[key]
    artifacts.save_json(path, metrics)


def load_dataset(path: Path) -> dict:
    """What the BC level job does with its dataset."""
    data = artifacts.load_npz(path, required=("observations", "actions"))
    if problem := check_dataset(data):
        raise artifacts.artifact_error(path, problem)
    return data


def load_level_metrics(path: Path):
    random = path.parents[5] / "random" / f"{TASK}.json"
    artifacts.save_json(random, {"task": TASK, "mean_return": 20.0})
    return imp_table([str(path)], [str(random)])


CORRUPTIONS = {
    # name: (file, corrupt(path), load(path), what the message says, producing rule)
    "truncated weights.pt": (
        "results/imp/rl/CartPole-v1/seed0/level1/weights.pt",
        truncated_pt,
        tensors.load_tensors,
        "cannot be read as a torch file",
        "imp_level",
    ),
    "empty theta0": (
        "results/init/CartPole-v1/seed0.pt",
        lambda p: p.parent.mkdir(parents=True) or p.write_bytes(b""),
        tensors.load_tensors,
        "cannot be read as a torch file",
        "initial_parameters",
    ),
    "pt holding a plain tensor": (
        "results/init/CartPole-v1/seed0.pt",
        lambda p: tensors.save_tensors(p, torch.ones(3)),
        tensors.load_tensors,
        "expected a dict of tensors",
        "initial_parameters",
    ),
    "mask of wrong shape": (
        "results/imp/rl/CartPole-v1/seed0/level1/mask.pt",
        lambda p: save_masks(p, {"action_net.weight": torch.ones(64, 2, dtype=torch.bool)}),
        lambda p: tensors.load_masks(p, reference=THETA0),
        "mask 'action_net.weight' has shape (64, 2), the weight has (2, 64)",
        "imp_level",
    ),
    "mask not binary": (
        "results/imp/bc/CartPole-v1/seed0/level2/mask.pt",
        lambda p: save_masks(p, {"action_net.weight": torch.full((2, 64), 0.5)}),
        lambda p: tensors.load_masks(p, reference=THETA0),
        "mask 'action_net.weight' is not binary",
        "imp_level",
    ),
    "mask for a weight the network lacks": (
        "results/imp/rl/CartPole-v1/seed0/level1/mask.pt",
        lambda p: save_masks(p, {"value_net.weight": torch.ones(1, 64, dtype=torch.bool)}),
        lambda p: tensors.load_masks(p, reference=THETA0),
        "mask 'value_net.weight' names no weight of the network",
        "imp_level",
    ),
    "metrics.json missing a key": (
        "results/imp/rl/CartPole-v1/seed0/level1/metrics.json",
        lambda p: metrics_without(p, "best_return"),
        load_level_metrics,
        "missing key(s) ['best_return']",
        "imp_level",
    ),
    "metrics.json cut off": (
        "results/imp/rl/CartPole-v1/seed0/level1/metrics.json",
        lambda p: artifacts.save_json(p, {"level": 1}) or p.write_text(p.read_text()[:5]),
        lambda p: artifacts.load_json(p, required_keys=("level",)),
        "not valid JSON",
        "imp_level",
    ),
    "metrics.json not an object": (
        "results/imp/rl/CartPole-v1/seed0/level1/metrics.json",
        lambda p: artifacts.save_json(p, [1, 2]),
        lambda p: artifacts.load_json(p, required_keys=("level",)),
        "expected a JSON object",
        "imp_level",
    ),
    "random return missing": (
        "results/random/CartPole-v1.json",
        lambda p: None,
        artifacts.load_json,
        "file is missing",
        "evaluate_random_policy",
    ),
    "BC dataset with mismatched lengths": (
        "results/bc_data/CartPole-v1/seed0.npz",
        lambda p: artifacts.save_npz(p, observations=np.zeros((10, 4), np.float32), actions=np.zeros(9, np.int64)),
        load_dataset,
        "10 observations but 9 actions",
        "collect_bc_dataset",
    ),
    "BC dataset without actions": (
        "results/bc_data/CartPole-v1/seed0.npz",
        lambda p: artifacts.save_npz(p, observations=np.zeros((10, 4), np.float32)),
        load_dataset,
        "missing array(s) ['actions']",
        "collect_bc_dataset",
    ),
    "BC dataset cut off": (
        "results/bc_data/CartPole-v1/seed0.npz",
        lambda p: (
            artifacts.save_npz(p, observations=np.random.rand(100, 4), actions=np.zeros(100, np.int64))
            or p.write_bytes(p.read_bytes()[:200])
        ),
        load_dataset,
        "cannot be read as .npz",
        "collect_bc_dataset",
    ),
    "expert model.zip cut off": (
        "results/experts/CartPole-v1/seed0/model.zip",
        lambda p: p.parent.mkdir(parents=True) or p.write_bytes(b"PK\x03\x04" + bytes(100)),
        tensors.load_sb3_policy_weights,
        "cannot be read as an SB3 model zip",
        "train_expert",
    ),
    "table cut off mid-row": (
        "results/tables/imp.csv",
        lambda p: (
            artifacts.save_csv(p, pd.DataFrame({"level": [0, 1], "best_return": [1.0, 2.0]}))
            or p.write_text(p.read_text()[:-5])
        ),
        lambda p: artifacts.load_csv(p, required_columns=("level", "best_return")),
        "do not have the header's 2 fields",
        "imp_table",
    ),
    "table missing a column": (
        "results/tables/imp.csv",
        lambda p: artifacts.save_csv(p, pd.DataFrame({"level": [0, 1]})),
        lambda p: artifacts.load_csv(p, required_columns=("level", "best_return")),
        "missing column(s) ['best_return']",
        "imp_table",
    ),
}


@pytest.mark.parametrize("case", CORRUPTIONS)
def test_corrupt_artefact_error_names_file_problem_and_rule(tmp_path, case):
    relative, corrupt, load, problem, rule = CORRUPTIONS[case]
    path = tmp_path / relative
    corrupt(path)
    with pytest.raises(ArtifactError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert problem in message and f"made by rule '{rule}'" in message and "delete it and rerun" in message


# ---- 5. Safe loading ----
class Payload:
    """Any class: unpickling it would run code chosen by whoever wrote the file."""


def test_pickled_objects_are_refused(tmp_path):
    weights = tmp_path / "results/imp/rl/CartPole-v1/seed0/level1/weights.pt"
    weights.parent.mkdir(parents=True)
    torch.save({"w": torch.ones(2), "payload": Payload()}, weights)
    with pytest.raises(ArtifactError, match=r"level1/weights\.pt: refused.*weights_only=True.*rule 'imp_level'"):
        tensors.load_tensors(weights)
    # The same inside an SB3 model zip: its policy.pth is read with weights_only=True too.
    model = tmp_path / "results/experts/CartPole-v1/seed0/model.zip"
    model.parent.mkdir(parents=True)
    pickled = io.BytesIO()
    torch.save({"payload": Payload()}, pickled)
    with zipfile.ZipFile(model, "w") as archive:
        archive.writestr("policy.pth", pickled.getvalue())
    with pytest.raises(
        ArtifactError,
        match=r"model\.zip: refused: it holds a pickled object of type test_reliability.Payload.*rule 'train_expert'",
    ):
        tensors.load_sb3_policy_weights(model)


def test_stale_temp_file_of_a_killed_write_is_cleared(tmp_path):
    target = tmp_path / "results/tables/imp.csv"
    target.parent.mkdir(parents=True)
    stale = target.parent / ".imp.csv.k1ll3d.tmp"  # what a SIGKILL during a write leaves
    stale.write_text("level,best_ret")
    artifacts.save_csv(target, pd.DataFrame({"level": [0]}))
    assert sorted(p.name for p in target.parent.iterdir()) == ["imp.csv"]


# ---- 2. Corrupt artefacts through the workflow: the user sees file, problem and rule ----
@pytest.mark.workflow
def test_corrupt_artefacts_fail_jobs_with_clear_errors(reference_run, tmp_path):
    root = tmp_path / "corrupt"
    shutil.copytree(reference_run, root, symlinks=True)
    # First the table job alone: a level's metrics.json without best_return.
    metrics = root / f"results/imp/bc/{TASK}/seed0/level{LEVELS}/metrics.json"
    record = json.loads(metrics.read_text())
    del record["best_return"]
    metrics.write_text(json.dumps(record))
    table = snakemake(root, "results/tables/imp.csv", "--force", "--cores", "1", *CONFIG_ARGS, check=False)
    assert table.returncode != 0
    assert (
        f"level{LEVELS}/metrics.json: missing key(s) ['best_return']. This file is made by rule 'imp_level'"
        in table.stdout + table.stderr
    ), (table.stdout + table.stderr)[-4000:]
    # Then two level jobs: a mask of the wrong shape, a BC dataset with fewer actions than observations.
    mask = root / f"results/imp/rl/{TASK}/seed0/level1/mask.pt"
    masks = tensors.load_tensors(mask)
    masks["action_net.weight"] = masks["action_net.weight"].T.contiguous()
    tensors.save_tensors(mask, masks)
    dataset = root / f"results/bc_data/{TASK}/seed0.npz"
    data = artifacts.load_npz(dataset)
    artifacts.save_npz(dataset, **{**data, "actions": data["actions"][:-7]})
    # Both level jobs run (keep-going, from the default profile) and fail.
    levels = [f"results/imp/rl/{TASK}/seed0/level2/metrics.json", f"results/imp/bc/{TASK}/seed0/level0/metrics.json"]
    failed = snakemake(root, *levels, "--force", "--cores", "2", *CONFIG_ARGS, check=False)
    assert failed.returncode != 0
    shown = failed.stdout + failed.stderr
    for message in (
        "level1/mask.pt: mask 'action_net.weight' has shape (64, 2), the weight has (2, 64). "
        "This file is made by rule 'imp_level'",
        f"seed0.npz: {len(data['observations'])} observations but {len(data['actions']) - 7} actions. "
        "This file is made by rule 'collect_bc_dataset'",
    ):
        assert message in shown, shown[-4000:]
    assert not (root / levels[0]).exists(), "a failed job leaves no output that looks finished"


# ---- 3. Bad configs through the real CLI ----
DELETE = object()
BAD_CONFIGS = {
    # name: (path in the config, value, key the error names, allowed values it lists)
    "unknown task id": (("tasks",), ["Pong-v5"], "tasks.0", "CartPole-v1, Acrobot-v1"),
    "negative seed": (("seeds",), [0, -3], "seeds.1", "an integer >= 0"),
    "repeated seed": (("seeds",), [0, 0], "seeds", "distinct integers >= 0"),
    "prune fraction 1.5": (("imp", "prune_fraction"), 1.5, "imp.prune_fraction", "strictly between 0 and 1"),
    "prune fraction 0": (("imp", "prune_fraction"), 0, "imp.prune_fraction", "strictly between 0 and 1"),
    "zero levels": (("imp", "levels"), 0, "imp.levels", "an integer >= 1"),
    "misspelt key": (
        ("imp", "levls"),
        2,
        "imp",
        "allowed keys here: backend, layer_floor, levels, output_layer, prune_critic, prune_fraction, rewind, "
        "seeds_per_job",
    ),
    "misspelt top-level key": (("seed",), [0], "<top level>", "allowed keys here: analysis, baselines"),
    "wrong type (string for bool)": (("imp", "prune_critic"), "yes", "imp.prune_critic", "true or false"),
    "wrong type (number for section)": (("imp",), 5, "imp", "a mapping with the keys backend, layer_floor, levels"),
    "missing section": (("analysis",), DELETE, "<top level>", "'analysis' is a required property; required keys"),
    "unknown paradigm": (("paradigms",), ["rl", "dagger"], "paradigms.1", "one of rl, bc"),
    "unknown baseline": (
        ("baselines", "conditions"),
        ["mask_permuted", "shuffled"],
        "baselines.conditions.1",
        "mask_permuted, permuted_permuted, random_reinit",
    ),
    "unknown training backend": (("imp", "backend"), "jax", "imp.backend", "batched (rltickets.engine trains"),
    "seeds per job 0": (("imp", "seeds_per_job"), 0, "imp.seeds_per_job", "an integer >= 1 (seeds per level job"),
    "budget of 0": (
        ("task_settings", TASK, "rl", "total_timesteps"),
        0,
        f"task_settings.{TASK}.rl.total_timesteps",
        "an integer >= 1",
    ),
    "BC epochs 0": (("task_settings", TASK, "bc", "epochs"), 0, f"task_settings.{TASK}.bc.epochs", "an integer >= 1"),
    "task without settings": (("tasks",), [TASK, "Acrobot-v1"], "task_settings", "no settings for task(s)"),
}


# One of each kind the issue lists runs through the CLI too (each costs a Snakemake start-up, ~2 s of CPU).
CLI_CASES = [
    "unknown task id",
    "negative seed",
    "prune fraction 1.5",
    "zero levels",
    "misspelt key",
    "wrong type (string for bool)",
    "missing section",
    "unknown paradigm",
    "unknown baseline",
    "budget of 0",
    "task without settings",
]


def mutated(config: dict, path: tuple, value) -> dict:
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


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_bad_config_is_caught_by_the_checker(case):
    path, value, key, expected = BAD_CONFIGS[case]
    with pytest.raises(ConfigError) as info:
        check_config(mutated(reduced_config(), path, value))
    assert f"'{key}'" in str(info.value) and expected in str(info.value)


@pytest.mark.workflow
def test_bad_configs_fail_through_snakemake_before_any_job(tmp_path):
    """The ten kinds of the issue through the real CLI (2 at a time): non-zero exit, the key and the allowed values
    in the output, and no results/ folder -- no job started. Not a dry-run: a real run that must not begin."""
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    pending, running, outcomes = list(CLI_CASES), {}, {}
    workflow = copy_workflow(tmp_path / "template")
    while pending or running:
        while pending and len(running) < 2:
            case = pending.pop()
            root = tmp_path / re.sub(r"\W+", "_", case)
            shutil.copytree(workflow, root)
            path, value, _, _ = BAD_CONFIGS[case]
            (root / "bad.yaml").write_text(yaml.safe_dump(mutated(reduced_config(), path, value)))
            command = [str(BIN / "snakemake"), "--cores", "1", "--configfile", "bad.yaml", "--replace-workflow-config"]
            with open(root / "snakemake.out", "w") as out:
                proc = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
            running[case] = (root, proc)
        for case, (root, proc) in list(running.items()):
            if proc.poll() is not None:
                outcomes[case] = (root, proc.returncode, (root / "snakemake.out").read_text())
                del running[case]
        time.sleep(0.05)
    problems = []
    for case, (root, returncode, output) in sorted(outcomes.items()):
        _, _, key, expected = BAD_CONFIGS[case]
        if returncode == 0 or f"'{key}'" not in output or expected not in output:
            problems.append(f"{case}: exit {returncode}, key/expected not shown:\n{output[-1500:]}")
        if (root / "results").exists():
            problems.append(f"{case}: results/ was created, so something ran")
    assert not problems, "\n".join(problems)
