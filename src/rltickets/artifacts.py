"""Artefact I/O: atomic writes (temp name, then rename) and safe, checked loads.

Every loader raises `ArtifactError` naming the file, what is wrong with it, and the Snakemake rule that
makes it, so a user knows to delete that file and rerun.
"""

from __future__ import annotations

import csv
import fnmatch
import glob
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

# Which rule writes which file (patterns match the end of the path, so any results dir works).
PRODUCERS: list[tuple[str, str]] = [
    ("*experts/*/seed*/model.zip", "train_expert"),
    ("*experts/*/seed*/metrics.json", "train_expert"),
    ("*bc_data/*/seed*.npz", "collect_bc_dataset"),
    ("*init/*/seed*.pt", "initial_parameters"),
    ("*random/*.json", "evaluate_random_policy"),
    ("*imp/*/*/seed*/level*/*", "imp_level"),
    ("*baselines/*/*/*/seed*/level*/*", "baseline_level (baseline_chain with baselines.jobs: per_chain)"),
    ("*tables/conditions.csv", "conditions_table"),
    ("*tables/mask_share.csv", "mask_share_table"),
    ("*tables/imp.csv", "imp_table"),
    ("*tables/critical_sparsity.csv", "critical_sparsity_table"),
    # Minimal task representations (rules/representations.smk)
    ("*supervised/*/seed*/init.pt", "supervised_initial_parameters"),
    ("*supervised/*/seed*/level*/*", "supervised_level"),
    ("*representations/init_*/theta0/*/seed*.pt", "rescaled_initial_parameters"),
    ("*representations/init_*/chain/*/*/seed*/level*/*", "rescaled_imp_level"),
    ("*representations/masked_input/*/*/seed*/metrics.json", "masked_input_agent"),
    ("*tables/input_mask.csv", "input_mask_table"),
    ("*tables/input_consistency.csv", "input_consistency_table"),
    ("*tables/masked_input_curves.csv", "masked_input_table"),
    ("*tables/representation_claims.csv", "representation_claims_table"),
    # Early-Bird tickets in DQN (rules/earlybird.smk)
    ("*earlybird/*/dense/rep*/*", "eb_dense"),
    ("*earlybird/*/exp2_rewind/P*/e*/rep*/*", "eb_pruned"),
    ("*earlybird/*/exp3_finetune/P*/e*/rep*/*", "eb_pruned"),
    ("*earlybird/*/exp4_exploit/P*/rep*/*", "eb_exploit"),
    ("*earlybird/*/exp1_similarity.npz", "eb_mask_similarity"),
    ("*tables/earlybird_*.csv", "eb_tables"),
]


class ArtifactError(RuntimeError):
    """A pipeline artefact is missing, unreadable or inconsistent."""


def producing_rule(path: str | os.PathLike) -> str:
    p = Path(path).as_posix()
    if p.endswith(".usage.json") and "benchmarks/" in p:  # written by every job beside its benchmark file
        return p.split("benchmarks/", 1)[1].split("/", 1)[0]
    for pattern, rule in PRODUCERS:
        if fnmatch.fnmatch(p, pattern):
            return rule
    return "unknown"


def artifact_error(path: str | os.PathLike, problem: str) -> ArtifactError:
    rule = producing_rule(path)
    return ArtifactError(
        f"{path}: {problem}. This file is made by rule '{rule}': delete it and rerun snakemake "
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


def save_tensors(path: str | os.PathLike, tensors: dict[str, Any]) -> None:
    import torch

    write_atomic(path, lambda tmp: torch.save(tensors, tmp))


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


def _require_file(path: str | os.PathLike) -> None:
    if not Path(path).is_file():
        raise artifact_error(path, "file is missing")


def load_json(path: str | os.PathLike, required_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    _require_file(path)
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

    _require_file(path)
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


def _refusal(err: Exception) -> str:
    """The gist of torch's weights_only refusal. Its own text is long and suggests weights_only=False, which
    would run whatever code the file carries: never the advice for an artefact."""
    found = re.search(r"Unsupported global: GLOBAL (\S+)", str(err))
    what = f"a pickled object of type {found.group(1)}" if found else "a pickled object"
    return (
        f"refused: it holds {what}, not only tensors; artefacts are loaded with torch.load(weights_only=True) "
        "and nothing in them is unpickled"
    )


def load_tensors(path: str | os.PathLike) -> dict[str, Any]:
    """Load a `.pt` dict of tensors with `weights_only=True`: pickled objects are refused."""
    import pickle

    import torch

    _require_file(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise artifact_error(path, _refusal(err)) from err
    except Exception as err:  # torch raises RuntimeError/EOFError/... for truncated or foreign files
        raise artifact_error(path, f"cannot be read as a torch file ({type(err).__name__}: {err})") from err
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise artifact_error(path, "expected a dict of tensors")
    return obj


def load_masks(path: str | os.PathLike, reference: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load a mask file; check it is binary and, given `reference` tensors, that the names and shapes match."""
    import torch

    masks = load_tensors(path)
    for name, mask in masks.items():
        if mask.dtype != torch.bool and not torch.all((mask == 0) | (mask == 1)):
            raise artifact_error(path, f"mask {name!r} is not binary")
        if reference is not None:
            if name not in reference:
                raise artifact_error(path, f"mask {name!r} names no weight of the network")
            if tuple(mask.shape) != tuple(reference[name].shape):
                raise artifact_error(
                    path,
                    f"mask {name!r} has shape {tuple(mask.shape)}, the weight has {tuple(reference[name].shape)}",
                )
    return {name: mask.bool() for name, mask in masks.items()}


def load_npz(path: str | os.PathLike, required: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    _require_file(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except Exception as err:
        raise artifact_error(path, f"cannot be read as .npz ({type(err).__name__}: {err})") from err
    missing = [k for k in required if k not in arrays]
    if missing:
        raise artifact_error(path, f"missing array(s) {missing}")
    return arrays


def save_sb3_model(path: str | os.PathLike, model) -> None:
    """An SB3 model zip (loadable with `PPO.load`), written atomically."""

    def _write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            model.save(fh)

    write_atomic(path, _write)


def load_sb3_policy_weights(path: str | os.PathLike) -> dict[str, Any]:
    """The policy state_dict inside an SB3 model zip, read without unpickling anything.

    SB3's zip reader loads tensors with weights_only=True; `load_data=False` skips its cloudpickled fields.
    """
    import pickle

    from stable_baselines3.common.save_util import load_from_zip_file

    _require_file(path)
    try:
        _, params, _ = load_from_zip_file(path, load_data=False, device="cpu")
    except pickle.UnpicklingError as err:
        raise artifact_error(path, _refusal(err)) from err
    except Exception as err:
        raise artifact_error(path, f"cannot be read as an SB3 model zip ({type(err).__name__}: {err})") from err
    if not params or "policy" not in params:
        raise artifact_error(path, "holds no policy parameters")
    return params["policy"]
