"""Does this machine reproduce the committed results bit for bit? (`make verify`, tools/verify.py)

`make docs` (tools/update_docs.py) writes a reference, docs/results/verify.json: for a small slice of the run (by
default the RL chain of CartPole-v1, seed 0, levels 0-2) the SHA-256 of every mask.pt and weights.pt (of the
tensors: names, dtypes, shapes, bytes) and the key metrics of each level, with the config files of the run and
the machine it ran on. `make verify` trains that slice again in a scratch copy of the workflow, with the same
config files, and compares: bit-identical, or which files differ.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from . import layout
from .artifacts import load_json, require_file, save_json
from .numerics import SETTING_VARIABLES
from .scratch import BIN, copy_workflow, snakemake_env

DEFAULT_SLICE = {"paradigm": "rl", "task": "CartPole-v1", "seed": 0, "levels": [0, 1, 2]}
TENSOR_FILES = ("mask.pt", "weights.pt")
# What a level's metrics.json says about the trained network (timings, config and versions left out).
KEY_METRICS = ("best_return", "final_return", "history", "fraction_remaining", "train_steps")
REFERENCE_NAME = "verify.json"


def level_folders(slice_: dict[str, Any]) -> list[str]:
    """The level folders of the slice, relative to the workflow folder (results/imp/...)."""
    fixed = {k: slice_[k] for k in ("paradigm", "task", "seed")}
    return [layout.IMP_LEVEL(**fixed, level=level) for level in slice_["levels"]]


def slice_targets(slice_: dict[str, Any]) -> list[str]:
    """Every file of the slice, as Snakemake targets."""
    return [f"{folder}/{name}" for folder in level_folders(slice_) for name in layout.LEVEL_FILES]


def record_of(root: Path, slice_: dict[str, Any]) -> dict[str, Any]:
    """The tensor digests and key metrics of the slice in the workflow folder `root`."""
    from .tensors import load_tensors, tensor_digest

    files, metrics = {}, {}
    for folder in level_folders(slice_):
        for name in TENSOR_FILES:
            files[f"{folder}/{name}"] = tensor_digest(load_tensors(Path(root) / folder / name))
        found = load_json(Path(root) / folder / "metrics.json")
        metrics[f"{folder}/metrics.json"] = {key: found[key] for key in KEY_METRICS if key in found}
    return {"files": files, "metrics": metrics}


def make_reference(root: Path, configfiles: list[str], slice_: dict[str, Any] | None = None) -> dict[str, Any]:
    """The reference of a finished run in `root`; `configfiles` are the names of the run's config copies beside
    the reference (update_docs writes config.yaml, config_override1.yaml, ...)."""
    slice_ = dict(slice_ or DEFAULT_SLICE)
    machine = recorded_machine(root, slice_)
    return {"slice": slice_, "configfiles": list(configfiles), **record_of(root, slice_), "machine": machine}


def recorded_machine(root: Path, slice_: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The machine record (CPU, torch, BLAS, pinned numerics) of the slice's first level in the workflow folder
    `root`, as its job wrote it into metrics.json; None when the run has no such level."""
    first = Path(root) / level_folders(slice_ or DEFAULT_SLICE)[0] / "metrics.json"
    return load_json(first).get("versions", {}).get("cpu") if first.exists() else None


def write_reference(path: Path, root: Path, configfiles: list[str], slice_: dict[str, Any] | None = None) -> dict:
    reference = make_reference(root, configfiles, slice_)
    save_json(path, reference)
    return reference


def differences(reference: dict[str, Any], record: dict[str, Any]) -> list[str]:
    """The files whose tensors or key metrics differ from the reference (empty: bit-identical)."""
    found = []
    for section in ("files", "metrics"):
        expected, got = reference[section], record[section]
        for name in sorted(set(expected) | set(got)):
            if name not in got or name not in expected:
                found.append(f"{name} (only in {'the reference' if name in expected else 'the rerun'})")
            elif expected[name] != got[name]:
                what = "tensors" if section == "files" else ", ".join(_differing_keys(expected[name], got[name]))
                found.append(f"{name} ({what})")
    return found


def _differing_keys(expected: dict, got: dict) -> list[str]:
    return [key for key in sorted(set(expected) | set(got)) if expected.get(key) != got.get(key)]


def recorded_numerics(machine: dict[str, Any] | None) -> dict[str, str | None]:
    """The `numerics:` settings a run was trained with, from the pinned variables its machine record lists
    (`numerics.cpu_provenance`; an empty value: left to the library). A record without the engine's matmul
    variable predates `numerics.engine_matmul`: the engine's products were then torch's."""
    recorded = (machine or {}).get("env", {})
    settings = {key: recorded[name] or None for key, name in SETTING_VARIABLES.items() if name in recorded}
    settings.setdefault("engine_matmul", "torch")
    return settings


def rerun(reference_path: Path, workdir: Path, cores: int = 2) -> tuple[Path, subprocess.CompletedProcess]:
    """Train the reference's slice afresh in `workdir` (a fresh scratch copy of the workflow) with the run's
    config files; the scratch folder and Snakemake's result."""
    reference = load_json(reference_path, ("slice", "configfiles", "files", "metrics"))
    root = copy_workflow(Path(workdir), fresh=True)
    configs = []
    for name in reference["configfiles"]:
        source = Path(reference_path).parent / name
        require_file(source)
        shutil.copy2(source, root / f"verify_{name}")
        configs.append(f"verify_{name}")
    # Last, so that it wins: the numerics the reference was trained with, as its machine record says.
    save_json(root / "verify_numerics.json", {"numerics": recorded_numerics(reference.get("machine"))})
    configs.append("verify_numerics.json")
    targets = slice_targets(reference["slice"])
    command = [str(BIN / "snakemake"), *targets, "--cores", str(cores), "--configfile", *configs]
    proc = subprocess.run(command, cwd=root, env=snakemake_env(), capture_output=True, text=True)
    return root, proc


def describe_machine(machine: dict[str, Any] | None) -> str:
    if not machine:
        return "not recorded"
    torch = machine.get("torch", {})
    env = ", ".join(f"{k}={v or '<unset>'}" for k, v in machine.get("env", {}).items())
    return (
        f"{machine.get('model', '?')} ({machine.get('vendor', '?')}), torch capability "
        f"{torch.get('capability', '?')}, BLAS {torch.get('blas_info', '?')}, MKL branch "
        f"{machine.get('mkl_branch', '?')}; {env}"
    )
