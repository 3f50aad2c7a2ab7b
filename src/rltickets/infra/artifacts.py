"""Artefact I/O: atomic writes (temp name, then rename) and safe, checked loads of JSON, CSV and npz files.

Every loader raises `ArtifactError` naming the file, what is wrong with it, and the Snakemake rule that makes it
(from `layout`), so a user knows to delete that file and rerun. Tensors and SB3 model zips: `tensors`. numpy and
pandas only (no torch), so table and figure jobs import nothing they do not need.
"""

from __future__ import annotations

import csv
import glob
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .layout import artefact_of, producing_rule


class ArtifactError(RuntimeError):
    """A pipeline artefact is missing, unreadable or inconsistent."""


def artifact_error(path: str | os.PathLike, problem: str) -> ArtifactError:
    rule = producing_rule(path)
    artefact = artefact_of(path)
    family = (
        f" (or a rule of its generated family, `snakemake --list-rules | grep {rule}`)"
        if artefact and artefact.generated
        else ""
    )
    return ArtifactError(
        f"{path}: {problem}. This file is made by rule '{rule}'{family}: delete it and rerun snakemake "
        "(only the job that makes it and the jobs that depend on it run again)."
    )


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto `path` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A job killed mid-write (SIGKILL skips the cleanup below) leaves its temp file behind. Snakemake never lets
    # two jobs write one target, so a temp file of this target is such a leftover: clear it before writing anew.
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600 files; results must be readable like any other file
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_atomic(path: str | os.PathLike, writer: Callable[[Path], Any]) -> None:
    with atomic_path(path) as tmp:
        writer(tmp)


def save_json(path: str | os.PathLike, obj: Any) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n"))


def save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    def _write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:  # a file handle stops numpy from appending ".npz" to the temp name
            np.savez_compressed(fh, **arrays)

    write_atomic(path, _write)


def save_csv(path: str | os.PathLike, frame) -> None:
    write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))


def save_figure(fig, *paths: str | os.PathLike) -> None:
    for path in paths:
        fmt = Path(path).suffix.lstrip(".")
        write_atomic(path, lambda tmp, fmt=fmt: fig.savefig(tmp, format=fmt, bbox_inches="tight", dpi=150))


def require_file(path: str | os.PathLike) -> None:
    if not Path(path).is_file():
        raise artifact_error(path, "file is missing")


def load_json(path: str | os.PathLike, required_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    require_file(path)
    try:
        obj = json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise artifact_error(path, f"not valid JSON ({err})") from err
    if required_keys and not isinstance(obj, dict):
        raise artifact_error(
            path, f"expected a JSON object with keys {list(required_keys)}, not a {type(obj).__name__}"
        )
    missing = [k for k in required_keys if k not in obj]
    if missing:
        raise artifact_error(path, f"missing key(s) {missing}")
    return obj


def load_csv(path: str | os.PathLike, required_columns: tuple[str, ...] = (), sep: str = ",", **read_options):
    """A table written by `save_csv` (or a TSV with sep="\\t"); a cut-off or ragged file is an error, not rows
    padded with NaN. `read_options` go to pandas.read_csv."""
    import pandas as pd

    require_file(path)
    try:
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh, delimiter=sep))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise artifact_error(path, f"cannot be read as CSV ({type(err).__name__}: {err})") from err
    if not rows:
        raise artifact_error(path, "is empty (not even a header row)")
    ragged = [i + 1 for i, row in enumerate(rows) if len(row) != len(rows[0])]
    if ragged:
        raise artifact_error(path, f"line(s) {ragged[:5]} do not have the header's {len(rows[0])} fields (cut off?)")
    missing = [c for c in required_columns if c not in rows[0]]
    if missing:
        raise artifact_error(path, f"missing column(s) {missing}")
    return pd.read_csv(path, sep=sep, **read_options)


def load_npz(path: str | os.PathLike, required: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    require_file(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except Exception as err:
        raise artifact_error(path, f"cannot be read as .npz ({type(err).__name__}: {err})") from err
    missing = [k for k in required if k not in arrays]
    if missing:
        raise artifact_error(path, f"missing array(s) {missing}")
    return arrays
