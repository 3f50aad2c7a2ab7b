"""Command line: `python -m rltickets inspect <level folder>` shows why a curve looks the way it does;
`python -m rltickets progress [results]` how far a run has got and what its finished levels show so far."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .core.pruning import input_unit_survival, layer_sparsity
from .core.tasks import input_names
from .infra.artifacts import ArtifactError, load_json
from .infra.config import ConfigError, check_config, load_config
from .infra.tensors import load_masks
from .summary.progress import format_progress, progress


def inspect_level(level_dir: Path) -> dict:
    """Per-layer sparsity, surviving input units and metrics of one level folder (mask.pt, metrics.json)."""
    metrics = load_json(level_dir / "metrics.json", required_keys=("task", "level", "first_layer"))
    masks = load_masks(level_dir / "mask.pt")
    first = metrics["first_layer"]
    survival = input_unit_survival(masks, first)
    names = input_names(metrics["task"], len(survival))
    return {
        "level_dir": str(level_dir),
        "task": metrics["task"],
        "paradigm": metrics.get("paradigm"),
        "seed": metrics.get("seed"),
        "level": metrics["level"],
        "fraction_remaining": metrics.get("fraction_remaining"),
        "best_return": metrics.get("best_return"),
        "final_return": metrics.get("final_return"),
        "layers": layer_sparsity(masks),
        "inputs": [{"name": n, "fraction_kept": f, "pruned": f == 0.0} for n, f in zip(names, survival, strict=True)],
        "history": metrics.get("history", []),
    }


def format_report(report: dict) -> str:
    lines = [
        f"{report['level_dir']}",
        f"  {report['paradigm']} / {report['task']} / seed {report['seed']} / level {report['level']}: "
        f"{100 * report['fraction_remaining']:.2f}% of prunable weights remain",
        f"  best return {report['best_return']:.2f}, final return {report['final_return']:.2f}",
        "",
        "  layer                                   shape        kept /  total   kept",
    ]
    for name, layer in report["layers"].items():
        shape = "x".join(map(str, layer["shape"]))
        lines.append(
            f"  {name:<38} {shape:>9} {layer['kept']:>8} / {layer['total']:>6} {100 * layer['fraction_kept']:>6.1f}%"
        )
    lines += ["", "  input unit                      first-layer weights kept"]
    for unit in report["inputs"]:
        flag = "  (pruned: no weights left)" if unit["pruned"] else ""
        lines.append(f"  {unit['name']:<30} {100 * unit['fraction_kept']:>6.1f}%{flag}")
    if report["history"]:
        lines += ["", "  evaluations (step: mean return)"]
        lines.append("  " + ", ".join(f"{h['step']}: {h['mean_return']:.1f}" for h in report["history"]))
    return "\n".join(lines)


def run_config(overlays: list[Path]) -> dict:
    """The run's config as Snakemake merges it in the working directory: ./config.yaml (the Snakefile's
    `configfile:`), then the overlays given on the command line, relative to the working directory; validated."""
    missing = [str(p) for p in (Path("config.yaml"), *overlays) if not p.is_file()]
    if missing:
        raise ConfigError(f"no such config file: {', '.join(missing)} (run from the workflow's folder)")
    config = load_config(*(p.resolve() for p in overlays), base=Path("config.yaml").resolve())
    check_config(config)
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rltickets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_inspect = sub.add_parser("inspect", help="summarise one IMP level folder (results/imp/.../levelK)")
    p_inspect.add_argument("level_dir", type=Path)
    p_inspect.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p_progress = sub.add_parser(
        "progress", help="how far a run has got: finished levels per chain and the interim critical level"
    )
    p_progress.add_argument("results", type=Path, nargs="?", default=Path("results"), help="default: results")
    p_progress.add_argument("--threshold", type=float, default=0.95, help="fraction of dense (default 0.95)")
    p_progress.add_argument(
        "--configfile",
        nargs="+",
        type=Path,
        help="the run's config overlays, as given to snakemake: adds the planned levels and the core-hours left",
    )
    p_progress.add_argument("--json", action="store_true", help="print machine-readable JSON")
    args = parser.parse_args(argv)
    try:
        if args.command == "progress":
            config = None
            if args.configfile:
                config = run_config(args.configfile)
            report = progress(args.results, args.threshold, config)
            if args.json:
                print(json.dumps({k: json.loads(v.to_json(orient="records")) for k, v in report.items()}, indent=2))
            else:
                print(format_progress(report, args.threshold))
            return 0
        report = inspect_level(args.level_dir)
    except (ArtifactError, ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0
