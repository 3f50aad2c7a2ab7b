"""Bit-identical numbers across x86-64 CPUs: which code paths torch's kernels and MKL take, pinned per job.

The same commit, config and seed give bit-identical networks on one machine, but not across CPUs: two libraries
pick their code path from the CPU they run on (docs/reproducibility.md has the measurements).
- MKL (torch's BLAS: every Linear layer's sgemm) picks a kernel per CPU model and vendor. `MKL_CBWR` (conditional
  numerical reproducibility) fixes it; on AMD CPUs MKL honours only `COMPATIBLE` (any other value runs its AUTO
  branch), so `COMPATIBLE` is the one setting that means the same on Intel and AMD.
- ATen (torch's own kernels: softmax, Adam's fused arithmetic, randn, ...) dispatches to a `default`, `avx2` or
  `avx512` build of each kernel. `ATEN_CPU_CAPABILITY` chooses one (never above what the CPU has).

- The batched engine's matrix products (`numerics.engine_matmul: openblas`, rltickets.engine.matmul) can run on
  numpy's OpenBLAS instead of MKL: `OPENBLAS_CORETYPE` fixes its kernel family on any vendor's CPU (Haswell:
  AVX2 + FMA), at the speed of MKL's own choice, where MKL's COMPATIBLE branch is 2-3x slower on the engine's
  [N, 256, 64] products.

All are read once, when the library loads, so they must be in the job's environment before torch is imported:
`pin_numerics(settings)` puts them into os.environ when the Snakefile is parsed, and every job Snakemake starts
(locally, or through sbatch, which exports the environment and re-parses the Snakefile) inherits them.
`check_numerics()` runs at the start of every training job and fails it when what torch and MKL actually do is
not what was pinned. `cpu_provenance()` records the machine beside the library versions of every artefact.

No torch import here (table and figure jobs use this module's callers): what torch reports is read only when the
calling process has already imported it (`sys.modules`).
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import platform
import re
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

MKL_CBWR = "MKL_CBWR"
ATEN_CPU_CAPABILITY = "ATEN_CPU_CAPABILITY"
OPENBLAS_CORETYPE = "OPENBLAS_CORETYPE"
ENGINE_MATMUL = "RLTICKETS_ENGINE_MATMUL"
# What the workflow pinned, as `key=value;...` (empty values: left to the libraries): the reference that
# check_numerics compares the job's environment and libraries against.
PINNED = "RLTICKETS_NUMERICS"
PINNED_VARIABLES = (MKL_CBWR, ATEN_CPU_CAPABILITY, OPENBLAS_CORETYPE, ENGINE_MATMUL)
# Config key -> environment variable.
SETTING_VARIABLES = {
    "mkl_cbwr": MKL_CBWR,
    "aten_cpu_capability": ATEN_CPU_CAPABILITY,
    "openblas_coretype": OPENBLAS_CORETYPE,
    "engine_matmul": ENGINE_MATMUL,
}
# Set with the pinned variables, not configurable: numpy's OpenBLAS would otherwise start a thread per core.
FIXED_VARIABLES = {"OPENBLAS_NUM_THREADS": "1"}
# The batched engine's matrix products (rltickets.engine.matmul): torch's (MKL) or numpy's OpenBLAS.
ENGINE_MATMULS = ("torch", "openblas")

# ATen's capabilities on x86-64, lowest first, and the CPU flags each needs (ATen's own test, cpuinfo names as
# /proc/cpuinfo spells them). Asking for one the CPU lacks would crash on an illegal instruction.
CAPABILITY_FLAGS = {
    "default": (),
    "avx2": ("avx2", "fma"),
    "avx512": ("avx512f", "avx512vl", "avx512bw", "avx512dq", "fma"),
}
# The CPU flags recorded in the provenance: what decides the code paths above.
RECORDED_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni",
                  "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")  # fmt: skip
# MKL's branch codes (mkl_service.h: MKL_CBWR_*), what mkl_cbwr_get reports.
MKL_BRANCHES = {
    1: "OFF",
    2: "AUTO",
    3: "COMPATIBLE",
    4: "SSE2",
    6: "SSSE3",
    7: "SSE4_1",
    8: "SSE4_2",
    9: "AVX",
    10: "AVX2",
    11: "AVX512_MIC",
    12: "AVX512",
    13: "AVX512_MIC_E1",
    14: "AVX512_E1",
}
_MKL_CBWR_BRANCH = 1  # mkl_cbwr_get(MKL_CBWR_BRANCH): the branch alone, without the STRICT bit


class NumericsError(RuntimeError):
    """The job's numerics are not what the workflow pinned: its numbers would not match other machines'."""


# ---- The environment a job gets ----
def numerics_environment(settings: Mapping[str, str | None] | Any) -> dict[str, str | None]:
    """The environment variables for the config's `numerics` section (a mapping or `NumericsSettings`); None:
    the variable is removed (the library chooses for this CPU), so that the config alone decides."""
    if not isinstance(settings, Mapping):
        settings = dataclasses.asdict(settings)
    unknown = sorted(set(settings) - set(SETTING_VARIABLES))
    if unknown:
        raise ValueError(f"numerics: unknown key(s) {unknown}; expected {sorted(SETTING_VARIABLES)}")
    values = {SETTING_VARIABLES[key]: settings.get(key) or None for key in SETTING_VARIABLES}
    return {**values, **FIXED_VARIABLES, PINNED: ";".join(f"{name}={value or ''}" for name, value in values.items())}


def engine_matmul(environ: Mapping[str, str] | None = None) -> str:
    """Which matrix products the batched engine uses: the pinned `numerics.engine_matmul`, else torch's."""
    value = (os.environ if environ is None else environ).get(ENGINE_MATMUL) or "torch"
    if value not in ENGINE_MATMULS:
        raise NumericsError(f"{ENGINE_MATMUL}={value!r}: expected one of {', '.join(ENGINE_MATMULS)}")
    return value


def pin_numerics(settings: Mapping[str, str | None] | Any, environ: MutableMapping[str, str] | None = None) -> dict:
    """Set (or remove) MKL_CBWR and ATEN_CPU_CAPABILITY in `environ` (default os.environ) for the jobs started
    from this process. Returns what was set."""
    environ = os.environ if environ is None else environ
    wanted = numerics_environment(settings)
    for name, value in wanted.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    return wanted


def pinned(environ: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """What the workflow pinned (variable -> value, '' for left to the library), or None outside the workflow."""
    environ = os.environ if environ is None else environ
    text = environ.get(PINNED)
    if text is None:
        return None
    return dict(item.split("=", 1) for item in text.split(";") if item)


# ---- What the machine and the libraries report ----
def parse_cpuinfo(text: str) -> dict[str, Any]:
    """Vendor, model name and flags of the first processor in a /proc/cpuinfo text."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break  # the first processor is enough: all cores of a node are alike
            continue
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return {
        "vendor": fields.get("vendor_id", ""),
        "model": fields.get("model name", ""),
        "flags": set(fields.get("flags", "").split()),
    }


def cpu_info(cpuinfo: str | Path = "/proc/cpuinfo") -> dict[str, Any]:
    """This machine's CPU (Linux); elsewhere only what `platform` knows."""
    try:
        return parse_cpuinfo(Path(cpuinfo).read_text())
    except OSError:
        return {"vendor": "", "model": platform.processor(), "flags": set()}


def parse_torch_config(text: str) -> dict[str, str]:
    """The numerics-relevant lines of `torch.__config__.show()`: BLAS and LAPACK, the MKL and oneDNN versions,
    ATen's CPU capability."""
    found = {}
    for key in ("BLAS_INFO", "LAPACK_INFO"):
        if match := re.search(rf"\b{key}=([^,\s]+)", text):
            found[key.lower()] = match.group(1)
    patterns = {
        "mkl": r"Math Kernel Library Version ([^\n]+?) for",
        "onednn": r"MKL-DNN (v[^\s]+)",
        "capability": r"CPU capability usage: (\S+)",
    }
    for key, pattern in patterns.items():
        if match := re.search(pattern, text):
            found[key] = match.group(1).strip()
    return found


def _torch():
    """torch, if this process has imported it (never imported here)."""
    return sys.modules.get("torch")


def torch_capability() -> str | None:
    """The capability ATen dispatches to in this process ('DEFAULT', 'AVX2', 'AVX512'), None without torch."""
    torch = _torch()
    return None if torch is None else str(torch.backends.cpu.get_cpu_capability())


def mkl_branch() -> str | None:
    """The code branch MKL runs (mkl_cbwr_get; 'OFF' when MKL_CBWR is unset); None when torch is not imported or
    its MKL does not export the call (a torch built without MKL)."""
    torch = _torch()
    if torch is None:
        return None
    try:
        library = ctypes.CDLL(str(Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"))
        code = library.mkl_serv_cbwr_get(_MKL_CBWR_BRANCH)
    except (OSError, AttributeError):
        return None
    return MKL_BRANCHES.get(code, f"unknown ({code})")


def openblas_architecture() -> str | None:
    """The kernel family numpy's OpenBLAS runs in this process ('Haswell', 'SkylakeX', 'Zen', ...); None when
    numpy is not imported or threadpoolctl does not see an OpenBLAS."""
    if "numpy" not in sys.modules:
        return None
    from threadpoolctl import threadpool_info

    return next((info.get("architecture") for info in threadpool_info() if info["internal_api"] == "openblas"), None)


def cpu_provenance() -> dict[str, Any]:
    """The machine and numerics a job ran with: CPU vendor, model and relevant flags, torch's capability, BLAS and
    LAPACK, MKL's branch, the pinned variables. Stored as `versions.cpu` beside the library versions."""
    cpu = cpu_info()
    record: dict[str, Any] = {
        "vendor": cpu["vendor"],
        "model": cpu["model"],
        "flags": [flag for flag in RECORDED_FLAGS if flag in cpu["flags"]],
        "env": {name: os.environ.get(name, "") for name in PINNED_VARIABLES},
    }
    torch = _torch()
    if torch is not None:
        record["torch"] = parse_torch_config(torch.__config__.show())
        record["torch"]["capability"] = torch_capability()
        record["mkl_branch"] = mkl_branch()
    record["openblas_architecture"] = openblas_architecture()
    return record


# ---- The check at a job's start ----
def numerics_problems(
    expected: Mapping[str, str],
    environ: Mapping[str, str],
    capability: str | None,
    branch: str | None,
    flags: set[str],
    openblas: str | None = None,
) -> list[str]:
    """Why the numerics in effect differ from `expected` (variable -> pinned value, '' for unpinned); empty if
    they do not. `capability`, `branch` and `openblas` are what torch, MKL and numpy's OpenBLAS report (None:
    unknown, not checked)."""
    problems = []
    for name, value in expected.items():
        if environ.get(name, "") != value:
            problems.append(
                f"{name} is {environ.get(name, '<unset>')!r} in the job's environment, the workflow pinned "
                f"{value or '<unset>'!r} (something between Snakemake and the job changed it)"
            )
    wanted = expected.get(ATEN_CPU_CAPABILITY, "")
    if wanted:
        missing = [flag for flag in CAPABILITY_FLAGS.get(wanted.lower(), ()) if flag not in flags]
        if wanted.lower() not in CAPABILITY_FLAGS:
            problems.append(f"ATEN_CPU_CAPABILITY={wanted!r} is not one of {sorted(CAPABILITY_FLAGS)}")
        elif missing:
            problems.append(f"ATEN_CPU_CAPABILITY={wanted!r} needs CPU flags this CPU lacks: {', '.join(missing)}")
        elif capability is not None and capability.lower() != wanted.lower():
            problems.append(
                f"torch dispatches to {capability}, not to the pinned ATEN_CPU_CAPABILITY={wanted!r} (torch was "
                "imported before the variable was set, or it ignored the value)"
            )
    cbwr = expected.get(MKL_CBWR, "")
    if cbwr and branch is not None and branch != cbwr.split(",")[0].upper():
        problems.append(
            f"MKL runs its {branch} branch, not the pinned MKL_CBWR={cbwr!r}: on this CPU MKL ignores that value "
            "(on AMD and other non-Intel CPUs it honours only COMPATIBLE), or MKL was loaded before it was set"
        )
    coretype = expected.get(OPENBLAS_CORETYPE, "")
    if coretype and openblas is not None and openblas.lower() != coretype.lower():
        problems.append(
            f"numpy's OpenBLAS runs its {openblas} kernels, not the pinned OPENBLAS_CORETYPE={coretype!r}: the "
            "value is not a kernel family of this OpenBLAS, the CPU lacks its instructions, or numpy was imported "
            "before it was set"
        )
    return problems


def check_numerics(environ: Mapping[str, str] | None = None) -> None:
    """Fail (NumericsError) when the pinned numerics are not in effect in this process. Call it after torch is
    imported, so that torch's capability and MKL's branch are checked too. Outside the workflow (nothing pinned)
    there is nothing to check."""
    environ = os.environ if environ is None else environ
    expected = pinned(environ)
    if expected is None:
        return
    if expected.get(OPENBLAS_CORETYPE):
        import numpy  # noqa: F401 - loads its OpenBLAS, so that the kernels it chose are checked too
    problems = numerics_problems(
        expected, environ, torch_capability(), mkl_branch(), cpu_info()["flags"], openblas_architecture()
    )
    if problems:
        raise NumericsError(
            "the numerics pinned by the config (`numerics:`, docs/reproducibility.md) are not in effect, so this "
            "job's numbers would not match other machines':\n- " + "\n- ".join(problems)
        )
