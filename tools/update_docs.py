"""Copy a finished run's figures and claims into docs/results/ (or --out) for the README (`make docs`).

Writes docs/results/<figure>.png for every PNG under results/figures, docs/results/claims.md (the claims table
in Markdown), docs/results/critical_sparsity.csv (the run's table), docs/results/config.yaml (the exact config;
further --configfile overrides as config_override1.yaml, ...), docs/results/PROVENANCE.md (commit, config MD5s,
date, job count, the machine and its pinned numerics) and docs/results/verify.json (the reference of `make verify`:
tensor hashes and key metrics of a small slice of the run). Run it from the repository root after the run has
finished.

`--part sensitivity` copies only the claim-1 sensitivity study (a run of the `sensitivity` target, which makes no
claims table): its figure, sensitivity.csv, verdicts.md (the verdicts in Markdown), the configs and PROVENANCE.md.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from rltickets.infra import artifacts, layout, verify
from rltickets.sensitivity import tables as sensitivity_tables
from rltickets.summary.claims import COLUMNS, claims_markdown
from rltickets.summary.run_statistics import run_statistics

COPIED_TABLES = ("critical_sparsity.csv",)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--configfile",
        nargs="+",
        default=["config.yaml"],
        help="the config files of the run, as given to snakemake (later files override earlier ones)",
    )
    parser.add_argument("--results", default="results", help="the run's results/ folder")
    parser.add_argument("--out", default="docs/results")
    parser.add_argument(
        "--part",
        choices=("run", "sensitivity"),
        default="run",
        help="run: figures, claims and the verify reference (default); sensitivity: only the sensitivity study's",
    )
    args = parser.parse_args()
    results, out = Path(args.results), Path(args.out)
    copy = copy_sensitivity if args.part == "sensitivity" else copy_run
    copies = [f"config{'' if i == 0 else f'_override{i}'}.yaml" for i in range(len(args.configfile))]
    copied = copy(results, out, copies)
    if copied is None:
        return 2
    figures, summary, machine = copied
    # Read the configs before clearing old copies: a config may be one of them (docs/results/config_override1.yaml).
    texts = [Path(source).read_bytes() for source in args.configfile]
    for old in out.glob("config*.yaml"):
        old.unlink()
    for text, name in zip(texts, copies, strict=True):
        (out / name).write_bytes(text)
    stats = run_statistics(results / "benchmarks")
    configs = ", then ".join(
        f"`{source}` (copied here as {name}, MD5 `{hashlib.md5(text).hexdigest()}`)"
        for source, text, name in zip(args.configfile, texts, copies, strict=True)
    )
    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    (out / "PROVENANCE.md").write_text(
        f"# Provenance of {out.as_posix()}\n\n"
        f"- produced by `tools/update_docs.py --part {args.part}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
        f"- code: commit `{git('rev-parse', 'HEAD')}`{dirty}\n"
        f"- config: {configs}\n"
        f"- run: {int(stats['jobs'].sum())} jobs with benchmark files, "
        f"{stats['core_hours'].sum():.1f} core-hours (wall time of one-thread jobs)\n"
        f"- machine (from {verify.level_folders(verify.DEFAULT_SLICE)[0]}/metrics.json): "
        f"{verify.describe_machine(machine)}\n"
        f"- figures: {', '.join(f.name for f in figures)}\n"
    )
    print(f"{len(figures)} figures, {summary} -> {out}")
    return 0


def report_missing(path: Path, rule: str, command: str) -> None:
    print(f"{path}: file is missing; it is made by rule '{rule}' (run `{command}` first)", file=sys.stderr)


def copy_figures(figures: list[Path], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    for figure in figures:
        shutil.copy2(figure, out / figure.name)
    return figures


def copy_run(results: Path, out: Path, configfiles: list[str]) -> tuple[list[Path], str, dict | None] | None:
    """Every figure, claims.md, the copied tables and verify.json; the machine record of the verify slice."""
    claims = results / "tables/claims.csv"
    if not claims.exists():
        report_missing(claims, "claims_table", "make run")
        return None
    figures = copy_figures(sorted((results / "figures").glob("*.png")), out)
    table = artifacts.load_csv(claims, tuple(COLUMNS))
    (out / "claims.md").write_text(claims_markdown(table))
    # The per-chain critical levels behind Fig. 2 and claim 1, small enough to commit beside the figures.
    for name in COPIED_TABLES:
        if (results / "tables" / name).exists():
            shutil.copy2(results / "tables" / name, out / name)
    reference = write_verify_reference(results, out / verify.REFERENCE_NAME, configfiles)
    return figures, f"{len(table)} claims", reference["machine"] if reference else None


def copy_sensitivity(results: Path, out: Path, configfiles: list[str]) -> tuple[list[Path], str, dict | None] | None:
    """The sensitivity figure, sensitivity.csv and verdicts.md; the machine record of the base CartPole chain."""
    table_path = results / Path(layout.SENSITIVITY_TABLE()).relative_to(layout.RESULTS)
    if not table_path.exists():
        command = "snakemake --cores 8 sensitivity --configfile configs/sensitivity.yaml"
        report_missing(table_path, "sensitivity_table", command)
        return None
    table = artifacts.load_csv(table_path, sensitivity_tables.COLUMNS)
    figures = copy_figures([results / Path(layout.SENSITIVITY_FIGURE.file("png")).relative_to(layout.RESULTS)], out)
    shutil.copy2(table_path, out / table_path.name)
    (out / "verdicts.md").write_text(sensitivity_tables.verdicts_markdown(table))
    machine = verify.recorded_machine(results.parent)  # the slice's paths start with results/
    return figures, f"{len(sensitivity_tables.verdicts(table))} verdicts", machine


def write_verify_reference(results: Path, path: Path, configfiles: list[str]) -> dict | None:
    """docs/results/verify.json from the run's slice (verify.DEFAULT_SLICE); None, and no stale reference, when
    the run has no such slice (e.g. a config without CartPole-v1)."""
    path.unlink(missing_ok=True)
    root = results.parent  # the slice's paths start with results/
    missing = [f for f in verify.slice_targets(verify.DEFAULT_SLICE) if not (root / f).exists()]
    if missing:
        print(f"no {path.name}: the run has no {missing[0]} (the slice `make verify` reruns)", file=sys.stderr)
        return None
    return verify.write_reference(path, root, configfiles)


if __name__ == "__main__":
    sys.exit(main())
