"""Warm workers: run a job's script in a process that has already imported torch, SB3, gymnasium and the package.

Why: every job of the pipeline is its own Python process (Snakemake's `script:`), and importing what a job needs
costs ~1.5 s CPU (nearly all of it `import torch`): a third of a BC level, half of the ci preset's run time. A
warm worker pays that once. A small server imports everything, then forks one child per job; the fork shares the
imported modules, so the child starts working within milliseconds. The process Snakemake started for the job
becomes a thin client: it hands the server its arguments, working directory, environment and its open
stdin/stdout/stderr (over a Unix socket), waits, and exits with the child's exit status.

What a job sees is unchanged: the same script file (Snakemake's temporary copy, preamble included) runs as
`__main__` with the client's argv, cwd, environment and sys.path, and writes to the client's stdout/stderr.
Outputs are bit-for-bit those of a fresh process (tests/test_worker.py checks a real IMP level both ways).

Lifecycle and failure handling:
- The first job that finds no server starts one (under a lock, so concurrent jobs start one between them) and
  waits until it is ready. A server exits after `RLTICKETS_WARM_IDLE` seconds without jobs (default 60; 10 in a
  SLURM allocation, where only the members of a group job can share one), and
  serves only clients with the same fingerprint: the same Python, installed packages, package source files,
  thread-related environment variables, pinned numerics (MKL_CBWR, ATEN_CPU_CAPABILITY) and SLURM allocation.
  Editing the package therefore starts a new server; the old one idles out. Jobs of different SLURM allocations
  never share one (a child runs in its server's allocation).
- A killed client (Snakemake cancelled the job, or SIGKILL) makes the server kill the job's child at once; a
  killed server takes its children with it (PR_SET_PDEATHSIG), and their clients fail, so Snakemake sees a
  failed job either way and `--rerun-incomplete` redoes it. Signals the client receives (SIGTERM, SIGINT) are
  forwarded to the child.
- Anything that keeps a warm worker from running the job (no server could start, no Linux, a socket error
  before the job started) makes the job run cold in its own process, after one line on stderr. The warm worker
  is an optimisation, never a new way to fail.
- `RLTICKETS_WARM_WORKER=0` turns it off (every job runs cold, as plain Snakemake would).
  `python -m rltickets.infra.worker list|stop` shows or stops this user's servers.

Snakemake's `benchmark:` files still time each job correctly (the client waits for its child), but their
`cpu_time` and `max_rss` only see the client; `rltickets.infra.jobs` therefore records every job's own CPU time
and peak memory next to its benchmark file (`*.usage.json`), cold or warm.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import selectors
import signal
import socket
import struct
import sys
import sysconfig
import time
from pathlib import Path

from .jobs import process_start_time

ENABLED_VARIABLE = "RLTICKETS_WARM_WORKER"
IDLE_VARIABLE = "RLTICKETS_WARM_IDLE"
DIR_VARIABLE = "RLTICKETS_WARM_DIR"
DEFAULT_IDLE_SECONDS = 60.0
SLURM_IDLE_SECONDS = 10.0
READY_TIMEOUT_SECONDS = 120.0
# A safety net, not a scheduler (Snakemake decides how many jobs run): beyond this many, jobs run cold.
MAX_JOBS = max(64, 4 * (os.cpu_count() or 1))
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the whole rltickets package
# Environment variables that change what an import does (thread pools, library paths, hash seed): a server only
# serves clients whose values equal the ones it imported with.
FINGERPRINT_VARIABLES = (
    "PYTHONPATH",
    "PYTHONHASHSEED",
    "OMP_NUM_THREADS",
    "GOTO_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "MPLBACKEND",
    "MUJOCO_GL",
    # the CPU code paths torch and MKL fix when they load (rltickets.infra.numerics)
    "MKL_CBWR",
    "ATEN_CPU_CAPABILITY",
    "RLTICKETS_NUMERICS",
    "SLURM_JOB_ID",
    IDLE_VARIABLE,
)
# What the server imports before it serves: what a level job (the most numerous kind) imports, so that the first
# job waits about as long as it would take to start cold.
PRELOAD_FIRST = (
    "snakemake.script",
    "snakemake.io",
    "snakemake.iocontainers",
    "snakemake.logging",
    "rltickets.infra.tensors",
    "rltickets.bc.dataset",
    "rltickets.imp.level",
)
# Imported afterwards, one module at a time whenever no job runs: what tables and figures need, and the rest of
# the package. A job that needs one of them before it is imported imports it itself, in its child.
PRELOAD_LATER = ("pandas", "matplotlib.pyplot", "seaborn", "sklearn.datasets")

# True inside a forked child: the job's script calls start_job -> delegate_to_warm_worker again, which must then
# let the script run.
IN_WORKER = False
# The client's process start (seconds since the epoch), so a job's start-up time means the same cold and warm.
JOB_PROCESS_START: float | None = None

_HEADER = struct.Struct("!I")


class WorkerUnavailable(RuntimeError):
    """No warm worker can run this job; it runs cold instead."""


# ---- Shared by client and server ----
def worker_dir() -> Path:
    """A private folder for this user's sockets, locks and server logs (short path: AF_UNIX allows 107 bytes)."""
    return Path(os.environ.get(DIR_VARIABLE) or f"/tmp/rltickets-warm-{os.getuid()}")


def fingerprint(environ: dict[str, str] | None = None) -> str:
    """What a server's imports depend on; a server serves only clients with the same fingerprint."""
    environ = os.environ if environ is None else environ
    digest = hashlib.sha256()
    purelib = Path(sysconfig.get_paths()["purelib"])
    parts = [sys.executable, sys.version, str(purelib.stat().st_mtime_ns)]
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        stat = path.stat()
        parts.append(f"{path.relative_to(PACKAGE_DIR)}:{stat.st_mtime_ns}:{stat.st_size}")
    parts += [f"{name}={environ.get(name, '')}" for name in FINGERPRINT_VARIABLES]
    digest.update("\n".join(parts).encode())
    return digest.hexdigest()[:20]


def _send(conn: socket.socket, message: dict, fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode()
    payload = _HEADER.pack(len(data)) + data
    if fds:
        socket.send_fds(conn, [payload], fds)
    else:
        conn.sendall(payload)


def _recv_exact(conn: socket.socket, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = conn.recv(remaining)
        if not chunk:
            raise ConnectionError("connection closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _recv(conn: socket.socket, with_fds: int = 0) -> tuple[dict, list[int]]:
    fds: list[int] = []
    if with_fds:
        head, fds, _, _ = socket.recv_fds(conn, _HEADER.size, with_fds)
        if not head:
            raise ConnectionError("connection closed")
        head += _recv_exact(conn, _HEADER.size - len(head))
    else:
        head = _recv_exact(conn, _HEADER.size)
    (size,) = _HEADER.unpack(head)
    return json.loads(_recv_exact(conn, size)), fds


# ---- Client: the process Snakemake started for the job ----
def warm_worker_enabled() -> bool:
    return os.environ.get(ENABLED_VARIABLE, "1").strip().lower() not in ("0", "false", "no", "off")


def delegate_to_warm_worker() -> None:
    """Run the calling job script in a warm worker and exit with its status; return if it must run here.

    Returns at once inside a worker's child (the script is already running warm) and when warm workers are off;
    returns after one line on stderr when no worker can take the job (it then runs cold in this process).
    """
    if IN_WORKER or not warm_worker_enabled():
        return
    try:
        conn = _connect_or_start_server()
        _send(
            conn,
            {
                "script": os.path.abspath(sys.argv[0]),
                "argv": sys.argv,
                "cwd": os.getcwd(),
                "env": dict(os.environ),
                "sys_path": sys.path,
                "started": process_start_time(),
            },
            fds=[0, 1, 2],
        )
        reply = _recv(conn)[0]
        if "refused" in reply:
            raise WorkerUnavailable(reply["refused"])
        child = reply["pid"]
    except (OSError, ConnectionError, WorkerUnavailable, ValueError, KeyError) as err:
        print(f"rltickets: no warm worker ({err}); running this job in its own process", file=sys.stderr)
        return
    sys.exit(_wait_for_child(conn, child))


def _wait_for_child(conn: socket.socket, child: int) -> int:
    """Forward SIGTERM/SIGINT/SIGHUP to the job's child until it ends; its exit status."""

    def forward(signum, _frame):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    try:
        status = _recv(conn)[0]["exit"]
    except (ConnectionError, OSError) as err:
        print(f"rltickets: the warm worker running this job died ({err})", file=sys.stderr)
        return 1
    if status < 0:  # killed by a signal: end the same way, as a cold process would have
        sys.stdout.flush()
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    return status


def _connect(path: Path) -> socket.socket:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        raise
    return conn


def _private_dir() -> Path:
    folder = worker_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stat = folder.stat()
    if stat.st_uid != os.getuid() or stat.st_mode & 0o077:
        raise WorkerUnavailable(f"{folder} is not a private folder of this user")
    return folder


def _connect_or_start_server() -> socket.socket:
    if not sys.platform.startswith("linux"):
        raise WorkerUnavailable("warm workers need Linux")
    folder = _private_dir()
    key = fingerprint()
    path = folder / f"{key}.sock"
    with contextlib.suppress(OSError):
        return _connect(path)
    import fcntl

    with open(folder / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one job starts the server; the others wait for it here
        with contextlib.suppress(OSError):
            return _connect(path)
        return _start_server(path, folder / f"{key}.log")


def _start_server(path: Path, log_path: Path) -> socket.socket:
    import subprocess

    # Inside a SLURM allocation the jobs that can share a server are the members of one group job, which run back
    # to back: a short idle time, so the server does not outlive the allocation for long.
    default = SLURM_IDLE_SECONDS if "SLURM_JOB_ID" in os.environ else DEFAULT_IDLE_SECONDS
    idle = os.environ.get(IDLE_VARIABLE) or str(default)
    with open(log_path, "ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "rltickets.infra.worker", "serve", "--socket", str(path), "--idle-timeout", idle],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # not in the job's process group: Ctrl-C or a killed job must not stop it
            cwd="/",
        )
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            return _connect(path)
        if server.poll() is not None:
            raise WorkerUnavailable(f"the server exited with {server.returncode} (log: {log_path})")
        time.sleep(0.02)
    raise WorkerUnavailable(f"the server was not ready after {READY_TIMEOUT_SECONDS:.0f} s (log: {log_path})")


# ---- Server ----
def _preload_first() -> list[str]:
    """Import PRELOAD_FIRST; return the modules left for later (PRELOAD_LATER and the rest of the package)."""
    import importlib
    import pkgutil

    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in PRELOAD_FIRST:
        importlib.import_module(name)
    import torch

    torch.set_num_threads(1)
    import rltickets

    package = [m.name for m in pkgutil.walk_packages(rltickets.__path__, "rltickets.")]
    package.remove("rltickets.__main__")  # the command line; importing it would run it
    return [name for name in (*PRELOAD_LATER, *package) if name not in sys.modules]


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


class _Server:
    """One listening socket, one forked child per job; single-threaded (select), so forking is safe."""

    def __init__(self, socket_path: Path, idle_timeout: float, later: list[str]):
        self.socket_path, self.idle_timeout = socket_path, idle_timeout
        self.later = list(later)  # modules still to import while no job runs
        self.selector = selectors.DefaultSelector()
        self.jobs: dict[int, socket.socket] = {}  # child pid -> its client's connection
        self.draining = False
        # SIGCHLD (a job ended) and SIGTERM (stop) wake the select loop through this socket pair.
        self.wakeup_r, self.wakeup_w = socket.socketpair()
        for end in (self.wakeup_r, self.wakeup_w):
            end.setblocking(False)
        signal.set_wakeup_fd(self.wakeup_w.fileno(), warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, self._drain)
        signal.signal(signal.SIGINT, self._drain)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        staging = socket_path.with_name(f".{socket_path.name}.{os.getpid()}")
        staging.unlink(missing_ok=True)
        self.listener.bind(str(staging))
        self.listener.listen(64)
        os.replace(staging, socket_path)  # published only once it accepts connections
        self.inode = socket_path.stat().st_ino
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(self.wakeup_r, selectors.EVENT_READ, "wakeup")

    def _drain(self, _signum, _frame) -> None:
        self.draining = True

    def _unpublish(self) -> None:
        """Remove the socket file, unless a newer server has replaced it."""
        with contextlib.suppress(OSError):
            if self.socket_path.stat().st_ino == self.inode:
                self.socket_path.unlink()

    def run(self) -> None:
        idle_since = time.monotonic()
        try:
            while True:
                if self.draining and self.listener.fileno() >= 0:
                    self.selector.unregister(self.listener)
                    self.listener.close()
                    self._unpublish()
                if self.jobs:
                    timeout = None
                elif self.draining or time.monotonic() - idle_since >= self.idle_timeout:
                    return
                elif self.later:
                    timeout = 0.0  # only look for a waiting job, then import the next module
                else:
                    timeout = idle_since + self.idle_timeout - time.monotonic()
                events = self.selector.select(timeout)
                if not events and not self.jobs and self.later:
                    self._import_next()
                for key, _ in events:
                    if key.data == "accept":
                        with contextlib.suppress(BlockingIOError, InterruptedError):
                            self._start_job(self.listener.accept()[0])
                    elif key.data == "wakeup":
                        with contextlib.suppress(BlockingIOError):
                            while self.wakeup_r.recv(4096):
                                pass
                    else:  # a client's connection is readable while its job runs: the client is gone
                        self._kill(key.data)
                if self.jobs:
                    self._reap()
                    if not self.jobs:  # the last job just ended: the idle time starts now
                        idle_since = time.monotonic()
        finally:
            self._unpublish()
            for pid in list(self.jobs):
                self._kill(pid)

    def _import_next(self) -> None:
        import importlib

        name = self.later.pop(0)
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 - a job that needs it imports it itself and reports the error
            print(f"{time.strftime('%F %T')} could not import {name}: {err}", flush=True)
        if _threads() != 1:
            print(f"{time.strftime('%F %T')} {_threads()} threads after importing {name}; stopping", flush=True)
            self.draining = True

    def _kill(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)

    def _start_job(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            request, fds = _recv(conn, with_fds=3)
            if len(fds) != 3:
                raise ConnectionError(f"expected 3 file descriptors, got {len(fds)}")
        except (OSError, ConnectionError, ValueError) as err:
            print(f"{time.strftime('%F %T')} bad request: {err}", flush=True)
            conn.close()
            return
        if refusal := self._refusal(conn):
            with contextlib.suppress(OSError):
                _send(conn, {"refused": refusal})
            for fd in fds:
                os.close(fd)
            conn.close()
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: become the job
            try:
                self.listener.close()
                for other in self.jobs.values():
                    other.close()
                signal.set_wakeup_fd(-1)
                self.wakeup_r.close()
                self.wakeup_w.close()
                _run_job(conn, request, fds)
            finally:
                os._exit(70)  # only reached if _run_job itself failed; it exits with the script's status
        for fd in fds:
            os.close(fd)
        try:
            _send(conn, {"pid": pid})
        except OSError:
            self._kill(pid)
        conn.setblocking(False)
        self.jobs[pid] = conn
        self.selector.register(conn, selectors.EVENT_READ, pid)

    def _refusal(self, conn: socket.socket) -> str | None:
        """Why this request must run cold instead: it comes from one of this server's own jobs (a job's script
        that reached delegate_to_warm_worker again would otherwise fork without end), or too many jobs run."""
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        peer = struct.unpack("3i", creds)[0]
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(Path(f"/proc/{peer}/stat").read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                return "the request comes from a job of this server"
        if len(self.jobs) >= MAX_JOBS:
            return f"{len(self.jobs)} jobs already run in this warm worker"
        return None

    def _reap(self) -> None:
        """Collect finished children and tell their clients how they ended."""
        while self.jobs:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.jobs.pop(pid, None)
            if conn is None:
                continue
            self.selector.unregister(conn)
            conn.settimeout(10)
            with contextlib.suppress(OSError):
                _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
            conn.close()


def serve(socket_path: Path, idle_timeout: float) -> None:
    """Import everything once, then fork a child per job until idle for `idle_timeout` seconds."""
    import gc

    later = _preload_first()
    if _threads() != 1:
        # Forking a process with other threads can deadlock the child (locks held by threads that do not exist
        # there). Refuse to serve; clients then run their jobs cold.
        raise SystemExit(f"rltickets worker: {_threads()} threads after the imports; not serving")
    gc.collect()
    gc.freeze()  # imported objects are never touched by the children's collector: fewer copy-on-write pages
    server = _Server(socket_path, idle_timeout, later)
    print(f"{time.strftime('%F %T')} serving on {socket_path} (pid {os.getpid()})", flush=True)
    server.run()
    print(f"{time.strftime('%F %T')} stopped", flush=True)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the server dies (no job may outlive its server unnoticed)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1


def _run_job(conn: socket.socket, request: dict, fds: list[int]) -> None:
    """In the forked child: take over the client's stdio, cwd and environment, run the script, exit."""
    global IN_WORKER, JOB_PROCESS_START
    import runpy
    import traceback

    os.setpgid(0, 0)  # its own process group: the server kills the job and everything it started at once
    _die_with_parent()
    conn.close()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    for name in ("SIGTERM", "SIGHUP", "SIGCHLD"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = list(request["argv"])
    sys.path[:] = request["sys_path"]
    IN_WORKER, JOB_PROCESS_START = True, float(request["started"])
    code = 0
    try:
        runpy.run_path(request["script"], run_name="__main__")
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    except BaseException:  # noqa: BLE001 - report like the interpreter would, then exit with 1
        traceback.print_exc()
        code = 1
    finally:
        from . import jobs

        jobs.run_job_end_hooks()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
    os._exit(code)


def _exit_code(code) -> int:
    """As the interpreter maps `sys.exit(code)` to an exit status."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


# ---- Command line: python -m rltickets.infra.worker serve|list|stop ----
def _servers() -> list[tuple[Path, int | None]]:
    """This user's published server sockets and the pid that serves each (None if nothing answers)."""
    folder = worker_dir()
    found = []
    for sock in sorted(folder.glob("*.sock")) if folder.is_dir() else []:
        pid = None
        with contextlib.suppress(OSError), _connect(sock) as conn:
            creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            pid = struct.unpack("3i", creds)[0]
        found.append((sock, pid))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rltickets.infra.worker", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run a server (jobs start one when they need it)")
    serve_parser.add_argument("--socket", type=Path, required=True)
    serve_parser.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_SECONDS)
    commands.add_parser("list", help="this user's servers")
    commands.add_parser("stop", help="stop this user's servers once their running jobs have finished")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.socket, args.idle_timeout)
        return 0
    servers = _servers()
    for sock, pid in servers:
        print(f"{sock}  pid {pid if pid is not None else '- (stale socket)'}")
        if args.command == "stop" and pid is not None:
            os.kill(pid, signal.SIGTERM)
        if args.command == "stop" and pid is None:
            sock.unlink(missing_ok=True)
    if not servers:
        print(f"no warm workers in {worker_dir()}")
    return 0


if __name__ == "__main__":
    # Run the package's module, not this `__main__` copy of it: the jobs a server forks import rltickets.infra.worker,
    # and must find IN_WORKER set there.
    from rltickets.infra.worker import main as package_main

    sys.exit(package_main())
