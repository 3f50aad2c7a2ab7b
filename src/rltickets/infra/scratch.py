"""Scratch copies of the workflow: the tests and the benchmarks run Snakemake as a user would, each in a folder of
its own, never in the repository's results/.

Import-light (no torch), like the other modules the Snakefile's helpers use.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
# What a run needs besides the installed package.
WORKFLOW_FILES = (
    "Snakefile",
    "rules",
    "workflow_scripts",
    "schemas",
    "report",
    "configs",
    "config.yaml",
    "profiles",
    "envs",
)
# The virtualenv's bin/, put first on PATH so that jobs find the same Python and Snakemake.
BIN = Path(sys.executable).parent


def copy_workflow(dest: Path, fresh: bool = False) -> Path:
    """Copy the workflow files into `dest` (kept results are brought up to date by the next run; `fresh` empties
    `dest` first)."""
    if fresh and dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dest / name)
    return dest


def snakemake_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **(extra or {})}
