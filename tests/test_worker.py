"""Warm workers (rltickets.infra.worker): a job's script runs in a forked child of a server that has imported torch,
with the job's argv, cwd, environment, stdio and exit status, and nothing survives a killed job or server.

Each test runs real client processes (`python job.py`, as Snakemake's `script:` does) against a real server in a
private folder; the server is started by the first client, as in a workflow run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from rltickets.infra import worker

JOB = """
import json, os, sys, time
from rltickets.infra import worker
worker.delegate_to_warm_worker()
{body}
"""


@pytest.fixture
def warm_dir():
    # A short path of its own (AF_UNIX paths are limited to 107 bytes): these tests' servers serve only them.
    folder = Path(tempfile.mkdtemp(prefix="rw-"))
    folder.chmod(0o700)
    yield folder
    subprocess.run([sys.executable, "-m", "rltickets.infra.worker", "stop"], env=_env(folder), capture_output=True)


def _env(folder: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "RLTICKETS_WARM_DIR": str(folder), "RLTICKETS_WARM_IDLE": "30", **extra}


def _script(tmp_path: Path, body: str, name: str = "job.py") -> Path:
    path = tmp_path / name
    path.write_text(JOB.format(body=textwrap.dedent(body)))
    return path


def _run(script: Path, env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(script), *args], env=env, capture_output=True, text=True, timeout=120, **kwargs
    )


def _report(body_extra: str = "") -> str:
    return (
        """
        print(json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(), "argv": sys.argv,
                          "value": os.environ.get("JOB_VALUE"), "warm": worker.IN_WORKER}))
        print("to stderr", file=sys.stderr)
        """
        + body_extra
    )


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_job_runs_warm_with_its_own_argv_cwd_env_stdio_and_exit_status(tmp_path, warm_dir):
    script = _script(tmp_path, _report("sys.exit(3)"))
    workdir = tmp_path / "work"
    workdir.mkdir()
    for value in ("first", "second"):  # the second job finds the server the first one started
        proc = _run(script, _env(warm_dir, JOB_VALUE=value), "--flag", cwd=workdir)
        assert proc.returncode == 3, proc.stderr
        seen = json.loads(proc.stdout)
        assert seen["warm"] is True
        assert seen["value"] == value and seen["cwd"] == str(workdir)
        assert seen["argv"] == [str(script), "--flag"]
        assert "to stderr" in proc.stderr and "no warm worker" not in proc.stderr


def test_job_is_a_child_of_the_server_not_of_the_client(tmp_path, warm_dir):
    script = _script(tmp_path, _report())
    proc = subprocess.Popen([sys.executable, str(script)], env=_env(warm_dir), stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=120)
    seen = json.loads(out)
    assert seen["pid"] != proc.pid and seen["ppid"] != proc.pid
    assert "rltickets.infra.worker" in Path(f"/proc/{seen['ppid']}/cmdline").read_bytes().decode()


def test_exception_gives_traceback_and_exit_status_1(tmp_path, warm_dir):
    proc = _run(_script(tmp_path, "raise ValueError('broken artefact')"), _env(warm_dir))
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "ValueError: broken artefact" in proc.stderr


def test_turned_off_the_job_runs_in_its_own_process(tmp_path, warm_dir):
    script = _script(tmp_path, _report())
    proc = subprocess.Popen(
        [sys.executable, str(script)], env=_env(warm_dir, RLTICKETS_WARM_WORKER="0"), stdout=subprocess.PIPE, text=True
    )
    out, _ = proc.communicate(timeout=120)
    seen = json.loads(out)
    assert seen["pid"] == proc.pid and seen["warm"] is False
    assert not list(warm_dir.glob("*.sock")), "no server may start when warm workers are off"


def _start_sleeping_job(tmp_path: Path, warm_dir: Path) -> tuple[subprocess.Popen, int]:
    """A client whose warm child writes its pid, then sleeps; returns (client, child pid)."""
    pid_file = tmp_path / "child.pid"
    script = _script(
        tmp_path,
        f"""
        from pathlib import Path
        Path({str(pid_file)!r}).write_text(str(os.getpid()))
        time.sleep(600)
        """,
    )
    client = subprocess.Popen([sys.executable, str(script)], env=_env(warm_dir), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (pid_file.exists() and pid_file.read_text()):
        assert client.poll() is None, client.stderr.read()
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    return client, int(pid_file.read_text())


def test_killed_client_takes_its_job_with_it(tmp_path, warm_dir):
    client, child = _start_sleeping_job(tmp_path, warm_dir)
    assert child != client.pid and _alive(child)
    client.kill()  # SIGKILL: what Snakemake, scancel or the reliability tests' kill_tree do
    client.wait()
    assert _wait_gone(child), "the job's child outlived its killed client"


def test_sigterm_is_forwarded_and_the_client_ends_the_same_way(tmp_path, warm_dir):
    client, child = _start_sleeping_job(tmp_path, warm_dir)
    client.send_signal(signal.SIGTERM)
    assert client.wait(timeout=30) == -signal.SIGTERM
    assert _wait_gone(child)


def test_killed_server_takes_its_jobs_with_it_and_their_clients_fail(tmp_path, warm_dir):
    client, child = _start_sleeping_job(tmp_path, warm_dir)
    server = int(Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[1])
    os.kill(server, signal.SIGKILL)
    assert client.wait(timeout=30) == 1
    assert "warm worker running this job died" in client.stderr.read()
    assert _wait_gone(child), "a job outlived its server"


def test_a_job_that_asks_again_is_refused_and_runs_in_its_child(tmp_path, warm_dir):
    # What would happen if the script's module were a second copy of rltickets.infra.worker (IN_WORKER unset): the
    # server must refuse its own child's request instead of forking without end.
    body = """
    worker.IN_WORKER = False
    worker.delegate_to_warm_worker()
    print("ran", os.getpid())
    """
    proc = _run(_script(tmp_path, body), _env(warm_dir))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("ran") == 1
    assert "comes from a job of this server" in proc.stderr


def test_a_different_thread_setting_gets_its_own_server(tmp_path, warm_dir):
    script = _script(tmp_path, _report())
    parents = set()
    for threads in ("1", "2"):
        proc = _run(script, _env(warm_dir, OMP_NUM_THREADS=threads))
        parents.add(json.loads(proc.stdout)["ppid"])
    assert len(parents) == 2
    assert worker.fingerprint({"OMP_NUM_THREADS": "1"}) != worker.fingerprint({"OMP_NUM_THREADS": "2"})


def test_idle_server_exits_and_unpublishes_its_socket(tmp_path, warm_dir):
    proc = _run(_script(tmp_path, _report()), _env(warm_dir, RLTICKETS_WARM_IDLE="1"))
    server = json.loads(proc.stdout)["ppid"]
    assert _wait_gone(server, 30), "an idle server did not exit"
    assert not list(warm_dir.glob("*.sock"))


def test_list_and_stop(tmp_path, warm_dir):
    proc = _run(_script(tmp_path, _report()), _env(warm_dir))
    server = json.loads(proc.stdout)["ppid"]
    listed = subprocess.run(
        [sys.executable, "-m", "rltickets.infra.worker", "list"], env=_env(warm_dir), capture_output=True, text=True
    )
    assert f"pid {server}" in listed.stdout
    subprocess.run([sys.executable, "-m", "rltickets.infra.worker", "stop"], env=_env(warm_dir), check=True)
    assert _wait_gone(server)


def test_unusable_folder_falls_back_to_running_cold(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # readable by others: not a private folder, never trusted with sockets
    script = _script(tmp_path, _report())
    proc = _run(script, _env(shared))
    assert proc.returncode == 0
    assert json.loads(proc.stdout.splitlines()[0])["warm"] is False
    assert "not a private folder" in proc.stderr


def test_server_imports_the_rest_of_the_package_between_jobs(tmp_path, warm_dir):
    # The first job only waits for what a level job imports; tables' and figures' modules follow while idle.
    script = _script(
        tmp_path,
        'print(json.dumps({m: m in sys.modules for m in ("rltickets.imp.level", "rltickets.imp.plots", '
        '"matplotlib.pyplot")}))',
    )
    first = json.loads(_run(script, _env(warm_dir)).stdout)
    assert first["rltickets.imp.level"] is True
    deadline = time.monotonic() + 60
    while True:
        seen = json.loads(_run(script, _env(warm_dir)).stdout)
        if seen["rltickets.imp.plots"] and seen["matplotlib.pyplot"]:
            break
        assert time.monotonic() < deadline, f"the server never imported the figures' modules: {seen}"
        time.sleep(0.5)
