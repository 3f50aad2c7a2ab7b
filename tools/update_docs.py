"""Copy a finished run's figures and claims into docs/results/ (or --out) for the README (`make docs`).

Writes docs/results/<figure>.png for every PNG under results/figures, docs/results/claims.md (the claims table
in Markdown), docs/results/critical_sparsity.csv (the run's table), docs/results/config.yaml (the exact config;
further --configfile overrides as config_override1.yaml, ...), docs/results/PROVENANCE.md (commit, config MD5s,
date, job count, the machine and its pinned numerics) and docs/results/verify.json (the reference of `make verify`:
tensor hashes and key metrics of a small slice of the run). Run it from the repository root after the run has
finished.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from rltickets.infra import artifacts, verify
from rltickets.summary.claims import COLUMNS, claims_markdown

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
    args = parser.parse_args()
    results, out = Path(args.results), Path(args.out)
    claims = results / "tables/claims.csv"
    if not claims.exists():
        print(f"{claims}: file is missing; it is made by rule 'claims_table' (run `make run` first)", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    figures = sorted((results / "figures").glob("*.png"))
    for figure in figures:
        shutil.copy2(figure, out / figure.name)
    table = artifacts.load_csv(claims, tuple(COLUMNS))
    (out / "claims.md").write_text(claims_markdown(table))
    # The per-chain critical levels behind Fig. 2 and claim 1, small enough to commit beside the figures.
    for name in COPIED_TABLES:
        if (results / "tables" / name).exists():
            shutil.copy2(results / "tables" / name, out / name)
    # Read the configs before clearing old copies: a config may be one of them (docs/results/config_override1.yaml).
    texts = [Path(source).read_bytes() for source in args.configfile]
    for old in out.glob("config*.yaml"):
        old.unlink()
    copies = [f"config{'' if i == 0 else f'_override{i}'}.yaml" for i in range(len(args.configfile))]
    for text, copy in zip(texts, copies, strict=True):
        (out / copy).write_bytes(text)
    stats = artifacts.load_csv(results / "tables/run_statistics.csv", ("rule", "jobs", "core_hours"))
    configs = ", then ".join(
        f"`{source}` (copied here as {copy}, MD5 `{hashlib.md5(text).hexdigest()}`)"
        for source, text, copy in zip(args.configfile, texts, copies, strict=True)
    )
    reference = write_verify_reference(results, out / verify.REFERENCE_NAME, copies)
    machine = verify.describe_machine(reference["machine"] if reference else None)
    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    (out / "PROVENANCE.md").write_text(
        f"# Provenance of {out.as_posix()}\n\n"
        f"- produced by `make docs` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
        f"- code: commit `{git('rev-parse', 'HEAD')}`{dirty}\n"
        f"- config: {configs}\n"
        f"- run: {int(stats['jobs'].sum())} jobs with benchmark files, "
        f"{stats['core_hours'].sum():.1f} core-hours (wall time of one-thread jobs)\n"
        f"- machine (from {verify.level_folders(verify.DEFAULT_SLICE)[0]}/metrics.json): {machine}\n"
        f"- figures: {', '.join(f.name for f in figures)}\n"
    )
    print(f"{len(figures)} figures, {len(table)} claims -> {out}")
    return 0


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
