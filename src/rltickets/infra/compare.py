"""Are two runs' results the same? Tensors bit for bit, tables and metrics value for value (timings aside).

`compare_results(a, b)` walks two results/ folders and lists every difference: a file only one run has, a tensor,
array, table or metrics value that differs. Logs, benchmark records, the run-statistics table, timing fields and
the machine a job ran on (`versions.cpu` in metrics.json) are left out (they differ between any two runs or
machines, while the numbers must not); figures are compared through the tables they are drawn from. Used by
`tools/compare_runs.py` (e.g. the same config before and after a refactor, or on two machines).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

# Metrics of how a job ran, not of what it computed: times, and how many networks shared its batch
# (rltickets.engine; a network's own numbers never depend on it).
TIMING = re.compile(r"wall_time|_seconds$|_time_s$|^batch_networks$")
SKIPPED_FOLDERS = ("logs", "benchmarks")
# Tables of what a run cost (wall and CPU seconds per rule): different for any two runs, like the logs.
TIMING_TABLES = ("tables/run_statistics.csv",)
FIGURES = (".png", ".pdf")
# The entry of a metrics record's `versions` that describes the machine (rltickets.infra.numerics.cpu_provenance).
MACHINE = "cpu"


def result_files(root: Path) -> set[str]:
    """Every file of root/results/ that a comparison covers, relative to root/results."""
    results = Path(root) / "results"
    return {
        p.relative_to(results).as_posix()
        for p in results.rglob("*")
        if p.is_file()
        and p.relative_to(results).parts[0] not in SKIPPED_FOLDERS
        and p.relative_to(results).as_posix() not in TIMING_TABLES
        and not p.name.endswith(".tmp")
    }


def _without_timing(value: Any) -> Any:
    """A metrics record without its timing fields and without the machine it was made on (`versions.cpu`)."""
    if isinstance(value, dict):
        return {
            k: _without_timing(v if k != "versions" else _without_machine(v))
            for k, v in value.items()
            if not TIMING.search(k)
        }
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    return value


def _without_machine(versions: Any) -> Any:
    return {k: v for k, v in versions.items() if k != MACHINE} if isinstance(versions, dict) else versions


def _json_differences(a: Any, b: Any, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        found = [f"{where}.{k}: only in one run" for k in sorted(set(a) ^ set(b))]
        for key in sorted(set(a) & set(b)):
            found += _json_differences(a[key], b[key], f"{where}.{key}")
        return found
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _json_differences(x, y, f"{where}[{i}]")]
    return [] if a == b else [f"{where or 'value'}: {a!r} != {b!r}"]


def _tensor_differences(a: dict, b: dict) -> list[str]:
    import torch

    found = [f"{k}: only in one run" for k in sorted(set(a) ^ set(b))]
    for key in sorted(set(a) & set(b)):
        x, y = a[key], b[key]
        if x.shape != y.shape or x.dtype != y.dtype or not torch.equal(x, y):
            found.append(f"{key}: tensors differ (max |Δ| {float((x.double() - y.double()).abs().max()):.3g})")
    return found


def compare_file(name: str, a: Path, b: Path) -> list[str]:
    """The differences between one file of two runs (empty when they are the same)."""
    from . import artifacts, tensors

    suffix = Path(name).suffix
    if suffix == ".pt":
        return _tensor_differences(tensors.load_tensors(a), tensors.load_tensors(b))
    if suffix == ".zip":
        return _tensor_differences(tensors.load_sb3_policy_weights(a), tensors.load_sb3_policy_weights(b))
    if suffix == ".npz":
        x, y = artifacts.load_npz(a), artifacts.load_npz(b)
        found = [f"{k}: only in one run" for k in sorted(set(x) ^ set(y))]
        return found + [f"{k}: arrays differ" for k in sorted(set(x) & set(y)) if not np.array_equal(x[k], y[k])]
    if suffix == ".json":
        x = _without_timing(json.loads(Path(a).read_text()))
        y = _without_timing(json.loads(Path(b).read_text()))
        return _json_differences(x, y)
    if suffix == ".csv":
        import pandas as pd

        x, y = artifacts.load_csv(a), artifacts.load_csv(b)
        x = x.drop(columns=[c for c in x.columns if TIMING.search(c)])
        y = y.drop(columns=[c for c in y.columns if TIMING.search(c)])
        try:
            pd.testing.assert_frame_equal(x, y, check_exact=True)
        except AssertionError as err:
            return [" ".join(str(err).split())[:300]]
        return []
    if suffix in FIGURES:
        return []
    return [] if Path(a).read_bytes() == Path(b).read_bytes() else ["bytes differ"]


def compare_results(a: str | Path, b: str | Path) -> list[str]:
    """Every difference between the results/ of two workflow folders, one line each."""
    files_a, files_b = result_files(Path(a)), result_files(Path(b))
    found = [f"{name}: only in {a}" for name in sorted(files_a - files_b)]
    found += [f"{name}: only in {b}" for name in sorted(files_b - files_a)]
    for name in sorted(files_a & files_b):
        found += [f"{name}: {d}" for d in compare_file(name, Path(a) / "results" / name, Path(b) / "results" / name)]
    return found
