"""Pinned CPU code paths (rltickets.infra.numerics): the environment the jobs get, what torch and the CPU report, and
the start-of-job check, in fresh processes where torch is imported after (or before) the pinning."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from rltickets.infra import numerics
from rltickets.infra.settings import NumericsSettings

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9654 96-Core Processor
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512dq avx512bw avx512vl

processor\t: 1
vendor_id\t: GenuineIntel
model name\t: not read: the first processor describes the node
"""
OPENBLAS_CONFIG = """PyTorch built with:
  - GCC 11.2
  - CPU capability usage: AVX2
  - Build settings: BLAS_INFO=open, BUILD_TYPE=Release, LAPACK_INFO=open, USE_MKL=OFF,
"""


def test_cpuinfo_gives_the_first_processors_vendor_model_and_flags():
    cpu = numerics.parse_cpuinfo(CPUINFO)
    assert cpu["vendor"] == "AuthenticAMD" and cpu["model"] == "AMD EPYC 9654 96-Core Processor"
    assert {"avx2", "fma", "avx512f"} <= cpu["flags"] and "amx_tile" not in cpu["flags"]


def test_torch_config_gives_blas_lapack_and_capability():
    this_build = numerics.parse_torch_config(torch.__config__.show())
    assert this_build["blas_info"] == "mkl" and this_build["lapack_info"] == "mkl"
    assert this_build["mkl"].startswith("20") and this_build["onednn"].startswith("v")
    assert this_build["capability"] == torch.backends.cpu.get_cpu_capability()
    other = numerics.parse_torch_config(OPENBLAS_CONFIG)
    assert other == {"blas_info": "open", "lapack_info": "open", "capability": "AVX2"}


def test_pinning_sets_the_variables_and_removes_the_unpinned_ones():
    environ = {"MKL_CBWR": "AVX2", "ATEN_CPU_CAPABILITY": "avx512", "PATH": "/bin"}
    numerics.pin_numerics(NumericsSettings(mkl_cbwr="COMPATIBLE"), environ)
    assert environ == {
        "MKL_CBWR": "COMPATIBLE",
        "PATH": "/bin",
        "OPENBLAS_NUM_THREADS": "1",
        numerics.PINNED: "MKL_CBWR=COMPATIBLE;ATEN_CPU_CAPABILITY=;OPENBLAS_CORETYPE=;RLTICKETS_ENGINE_MATMUL=",
    }
    assert numerics.pinned(environ) == {
        "MKL_CBWR": "COMPATIBLE",
        "ATEN_CPU_CAPABILITY": "",
        "OPENBLAS_CORETYPE": "",
        "RLTICKETS_ENGINE_MATMUL": "",
    }
    assert numerics.pinned({}) is None
    with pytest.raises(ValueError, match="unknown key"):
        numerics.pin_numerics({"mkl": "COMPATIBLE"}, {})


def _problems(expected=None, environ=None, capability="AVX2", branch="COMPATIBLE", flags=("avx2", "fma")):
    expected = expected or {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "avx2"}
    environ = dict(expected) if environ is None else environ
    return numerics.numerics_problems(expected, environ, capability, branch, set(flags))


def test_the_check_names_each_way_the_pinned_numerics_can_be_lost():
    assert _problems() == []
    (lost,) = _problems(environ={"ATEN_CPU_CAPABILITY": "avx2"})
    assert "MKL_CBWR is '<unset>'" in lost and "pinned 'COMPATIBLE'" in lost
    (ignored,) = _problems(capability="AVX512")
    assert "torch dispatches to AVX512, not to the pinned ATEN_CPU_CAPABILITY='avx2'" in ignored
    (lacking,) = _problems(flags=("avx2",))
    assert "needs CPU flags this CPU lacks: fma" in lacking
    (amd,) = _problems(expected={"MKL_CBWR": "AVX2", "ATEN_CPU_CAPABILITY": ""}, branch="AUTO")
    assert "MKL runs its AUTO branch, not the pinned MKL_CBWR='AVX2'" in amd and "only COMPATIBLE" in amd
    # What a library does not report (no torch in the process, a torch without MKL) is not held against the job.
    assert _problems(capability=None, branch=None) == []


JOB = """
import json, os
from rltickets.infra import numerics
if {pin_first}:
    numerics.pin_numerics({settings})
import numpy
import torch
torch.mm(torch.ones(8, 8), torch.ones(8, 8))
if not {pin_first}:
    numerics.pin_numerics({settings})
try:
    numerics.check_numerics()
    print(json.dumps({{"ok": numerics.cpu_provenance()}}))
except numerics.NumericsError as err:
    print(json.dumps({{"error": str(err)}}))
"""


def _job(pin_first: bool, settings: dict) -> dict:
    """A fresh process that pins `settings` before (as a job of the workflow) or after importing torch."""
    code = textwrap.dedent(JOB.format(pin_first=pin_first, settings=settings))
    env = {k: v for k, v in os.environ.items() if k not in (*numerics.PINNED_VARIABLES, numerics.PINNED)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_job_started_with_the_pinned_environment_passes_and_records_it():
    result = _job(True, {"mkl_cbwr": "COMPATIBLE", "aten_cpu_capability": "default"})
    record = result["ok"]
    assert record["env"] == {
        "MKL_CBWR": "COMPATIBLE",
        "ATEN_CPU_CAPABILITY": "default",
        "OPENBLAS_CORETYPE": "",
        "RLTICKETS_ENGINE_MATMUL": "",
    }
    assert record["torch"]["capability"] == "DEFAULT" and record["mkl_branch"] == "COMPATIBLE"
    assert record["vendor"] and record["model"] and "avx2" in record["flags"]


def test_a_job_pinned_to_openblas_haswell_runs_those_kernels():
    settings = {"mkl_cbwr": "COMPATIBLE", "aten_cpu_capability": "avx2", "openblas_coretype": "Haswell"}
    assert _job(True, {**settings, "engine_matmul": "openblas"})["ok"]["openblas_architecture"] == "Haswell"
    late = _job(False, settings)["error"]  # numpy loaded its OpenBLAS before the variable was set
    assert "not the pinned OPENBLAS_CORETYPE='Haswell'" in late


def test_a_job_whose_torch_was_imported_before_the_pinning_fails_with_the_reason():
    # Any x86-64 CPU this runs on has avx2, so torch's own choice is never `default`.
    result = _job(False, {"mkl_cbwr": "COMPATIBLE", "aten_cpu_capability": "default"})
    assert "not in effect" in result["error"]
    assert "not to the pinned ATEN_CPU_CAPABILITY='default'" in result["error"]
    assert "MKL runs its OFF branch, not the pinned MKL_CBWR='COMPATIBLE'" in result["error"]
