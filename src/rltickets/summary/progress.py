"""How far a run has got, and what its finished levels show so far: `python -m rltickets progress [results]`.

A paper-scale run takes hours; its tables and figures are made only at the end. This reads the level folders that
exist (each network's metrics.json, written last and atomically by its level job) and reports, per ticket chain,
the levels every seed has finished and the interim critical level with the same definition as
results/tables/critical_sparsity.csv (`imp.tables.critical_sparsity`: the last level up to which the mean best
return stays >= threshold of dense, relative to the random policy). Per baseline condition it reports the levels
done and the mean best return at the last one. Nothing is written; the numbers change as the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.tasks import base_task_id
from ..imp.tables import critical_sparsity, imp_table, level_row
from ..infra import layout
from ..infra.artifacts import ArtifactError, load_json

CHAIN = ["task", "paradigm"]


def _metric_files(results: Path, artefact: layout.Artefact) -> list[Path]:
    """Every metrics.json of `artefact`'s level folders under `results` (the layout's own pattern decides)."""
    pattern = artefact.pattern()
    return sorted(p for p in results.rglob("metrics.json") if pattern.search(p.as_posix()))


def finished_prefix(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group `keys`, the rows of levels first_level..K where K is the last level before which no level misses
    a seed (seeds: those of the group's first level). A level job that is still running, or was killed after some
    seeds, leaves its level out; so does everything after a gap."""
    kept = []
    for _, group in rows.groupby(keys, sort=True):
        levels = sorted(group["level"].unique())
        seeds = set(group.loc[group["level"] == levels[0], "seed"])
        done = []
        for expected, level in enumerate(levels, start=levels[0]):
            if level != expected or set(group.loc[group["level"] == level, "seed"]) != seeds:
                break
            done.append(level)
        kept.append(group[group["level"].isin(done)])
    return pd.concat(kept, ignore_index=True) if kept else rows.iloc[:0]


def _level_range(levels: Iterable[int]) -> str:
    levels = sorted(levels)
    return f"{levels[0]}-{levels[-1]}" if levels else "-"


def chain_progress(results: Path, threshold: float) -> pd.DataFrame:
    """One row per ticket chain: seeds, finished levels, and the interim critical level."""
    paths = _metric_files(results, layout.IMP_LEVEL)
    if not paths:
        return pd.DataFrame()
    located = pd.DataFrame(
        [{**{k: m[k] for k in ("task", "paradigm", "seed", "level")}, "path": str(p)} for p, m in _read(paths)]
    )
    finished = finished_prefix(located, CHAIN)
    # A variant chain of the sensitivity study (`<task>@<arm>`) is measured against its base task's random policy.
    bases = {base_task_id(task) for task in finished["task"]}
    random_paths = {base: results / "random" / f"{base}.json" for base in sorted(bases)}
    measured = {base for base, path in random_paths.items() if path.exists()}
    table = imp_table(finished["path"], [str(random_paths[base]) for base in sorted(measured)])
    critical = critical_sparsity(table, threshold).set_index(CHAIN)
    rows = []
    for (task, paradigm), group in table.groupby(CHAIN, sort=True):
        last = group[group["level"] == group["level"].max()]
        row = {
            "task": task,
            "paradigm": paradigm,
            "seeds": int(group["seed"].nunique()),
            "levels": _level_range(group["level"].unique()),
            "percent_remaining": float(last["percent_remaining"].mean()),
            "mean_best_last": float(last["best_return"].mean()),
            "dense_mean_best": float(group.loc[group["level"] == 0, "best_return"].mean()),
            "critical_level": np.nan,
            "holding": None,
        }
        if base_task_id(task) in measured:
            chain = critical.loc[(task, paradigm)]
            row["critical_level"] = chain["critical_level"]
            row["holding"] = bool(chain["critical_level"] == chain["sparsest_level"])
        rows.append(row)
    return pd.DataFrame(rows)


def baseline_progress(results: Path) -> pd.DataFrame:
    """One row per (task, paradigm, condition): seeds, finished levels, mean best return at the last one."""
    paths = _metric_files(results, layout.BASELINE_LEVEL)
    if not paths:
        return pd.DataFrame()
    rows = pd.DataFrame([{**level_row(m), "condition": m["condition"]} for _, m in _read(paths)])
    keys = [*CHAIN, "condition"]
    out = []
    for (task, paradigm, condition), group in finished_prefix(rows, keys).groupby(keys, sort=True):
        last = group[group["level"] == group["level"].max()]
        out.append(
            {
                "task": task,
                "paradigm": paradigm,
                "condition": condition,
                "seeds": int(group["seed"].nunique()),
                "levels": _level_range(group["level"].unique()),
                "mean_best_last": float(last["best_return"].mean()),
            }
        )
    return pd.DataFrame(out)


def _read(paths: list[Path]):
    for path in paths:
        yield path, load_json(path, required_keys=("task", "paradigm", "seed", "level", "history", "disconnected"))


def progress(results: Path, threshold: float = 0.95) -> dict[str, pd.DataFrame]:
    """The ticket chains' and the baselines' progress in `results`; ArtifactError if it holds no level at all."""
    if not Path(results).is_dir():
        raise ArtifactError(f"{results}: no such results folder")
    report = {"chains": chain_progress(Path(results), threshold), "baselines": baseline_progress(Path(results))}
    if report["chains"].empty:
        raise ArtifactError(
            f"{results}: no finished IMP level yet ({layout.IMP_LEVEL.file('metrics.json')} is written by the "
            f"rule family {layout.IMP_LEVEL.rule}*)"
        )
    return report


def format_progress(report: dict[str, pd.DataFrame], threshold: float) -> str:
    lines = [
        "Ticket chains (levels every seed has finished; critical level = the last level up to which the mean best",
        f"return stays >= {threshold:g} of dense, as results/tables/critical_sparsity.csv)",
        "",
        f"  {'task':<26} {'paradigm':<8} {'seeds':>5} {'levels':>7} {'% left':>8} "
        f"{'mean best (dense)':>19}  critical level",
    ]
    for row in report["chains"].itertuples():
        if row.holding is None:
            critical = "(needs results/random/<task>.json)"
        elif np.isnan(row.critical_level):  # level 0 passes by definition unless the ratio is undefined
            critical = "undefined: dense is no better than the random policy"
        else:
            critical = f"{int(row.critical_level)}" + (", still holding at the last level" if row.holding else "")
        best = f"{row.mean_best_last:.1f} ({row.dense_mean_best:.1f})"
        lines.append(
            f"  {row.task:<26} {row.paradigm:<8} {row.seeds:>5} {row.levels:>7} {row.percent_remaining:>7.2f}% "
            f"{best:>19}  {critical}"
        )
    if not report["baselines"].empty:
        lines += ["", "Baselines (levels every seed has finished, mean best return at the last one)", ""]
        for row in report["baselines"].itertuples():
            lines.append(
                f"  {row.task:<26} {row.paradigm:<8} {row.condition:<18} {row.seeds:>5} seeds  levels "
                f"{row.levels:>6}  {row.mean_best_last:.1f}"
            )
    return "\n".join(lines)
