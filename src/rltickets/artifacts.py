"""Artefact I/O: atomic writes (temp name, then rename) and safe, checked loads.

Every loader raises `ArtifactError` naming the file, what is wrong with it, and the Snakemake rule that
makes it, so a user knows to delete that file and rerun.
"""

from __future__ import annotations

import fnmatch
import json
import os
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
    ("*tables/imp.csv", "imp_table"),
    ("*tables/critical_sparsity.csv", "critical_sparsity_table"),
]


class ArtifactError(RuntimeError):
    """A pipeline artefact is missing, unreadable or inconsistent."""


def producing_rule(path: str | os.PathLike) -> str:
    p = Path(path).as_posix()
    for pattern, rule in PRODUCERS:
        if fnmatch.fnmatch(p, pattern):
            return rule
    return "unknown"


def artifact_error(path: str | os.PathLike, problem: str) -> ArtifactError:
    rule = producing_rule(path)
    return ArtifactError(
        f"{path}: {problem}. This file is made by rule '{rule}': delete it and rerun snakemake "
        f"(e.g. `snakemake --cores 2 --forcerun {rule}` or just remove the file)."
    )


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto `path` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
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
    missing = [k for k in required_keys if k not in obj]
    if missing:
        raise artifact_error(path, f"missing key(s) {missing}")
    return obj


def load_tensors(path: str | os.PathLike) -> dict[str, Any]:
    """Load a `.pt` dict of tensors with `weights_only=True`: pickled objects are refused."""
    import pickle

    import torch

    _require_file(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise artifact_error(
            path, f"refused: it holds more than tensors and plain containers (weights_only=True): {err}"
        ) from err
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
    from stable_baselines3.common.save_util import load_from_zip_file

    _require_file(path)
    try:
        _, params, _ = load_from_zip_file(path, load_data=False, device="cpu")
    except Exception as err:
        raise artifact_error(path, f"cannot be read as an SB3 model zip ({type(err).__name__}: {err})") from err
    if not params or "policy" not in params:
        raise artifact_error(path, "holds no policy parameters")
    return params["policy"]
