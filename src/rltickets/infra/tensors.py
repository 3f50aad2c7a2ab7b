"""Tensor artefacts: `.pt` files of tensors (θ0, masks, weights) and stable-baselines3 model zips.

Loaded with `torch.load(..., weights_only=True)` only: a file holding a pickled object is refused, never
unpickled. Errors name the file, the problem and the rule that makes it (`artifacts.artifact_error`).
"""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path
from typing import Any

import torch

from .artifacts import artifact_error, require_file, write_atomic


def save_tensors(path: str | os.PathLike, tensors: dict[str, Any]) -> None:
    write_atomic(path, lambda tmp: torch.save(tensors, tmp))


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
    require_file(path)
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

    require_file(path)
    try:
        _, params, _ = load_from_zip_file(path, load_data=False, device="cpu")
    except pickle.UnpicklingError as err:
        raise artifact_error(path, _refusal(err)) from err
    except Exception as err:
        raise artifact_error(path, f"cannot be read as an SB3 model zip ({type(err).__name__}: {err})") from err
    if not params or "policy" not in params:
        raise artifact_error(path, "holds no policy parameters")
    return params["policy"]


def tensor_digest(tensors: dict[str, Any]) -> str:
    """SHA-256 of a dict of tensors (names, dtypes, shapes and bytes, in name order): equal digests, bit-identical
    tensors."""
    import hashlib

    digest = hashlib.sha256()
    for name in sorted(tensors):
        value = tensors[name].detach().cpu().contiguous()
        digest.update(f"{name}:{value.dtype}:{tuple(value.shape)}:".encode())
        digest.update(value.view(torch.uint8).numpy().tobytes() if value.numel() else b"")
    return digest.hexdigest()
