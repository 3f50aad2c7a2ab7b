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
from ..imp.tables import METRIC_KEYS, critical_sparsity, imp_table_of, level_row
from ..infra import layout
from ..infra.artifacts import ArtifactError, load_json
from ..infra.settings import Study

CHAIN = ["task", "paradigm"]


def _metric_files(files: list[Path], artefact: layout.Artefact) -> list[Path]:
    """The metrics.json files of `artefact`'s level folders among `files` (the layout's own pattern decides)."""
    pattern = artefact.pattern()
    return [p for p in files if pattern.search(p.as_posix())]


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


def planned_chains(config: dict) -> dict[tuple[str, str], int]:
    """(task, paradigm) -> last level, for every ticket chain a validated config plans (variant chains included)."""
    study = Study.from_config(config)
    return {
        (chain, paradigm): study.levels_of(chain)[-1]
        for chain in study.chain_tasks
        for paradigm in (study.variants[chain].paradigms if chain in study.variants else study.paradigms)
    }


def _chain_rows(table: pd.DataFrame, critical: pd.DataFrame, measured: set[str]) -> list[dict]:
    rows = []
    for (task, paradigm), group in table.groupby(CHAIN, sort=True):
        last = group[group["level"] == group["level"].max()]
        row = {
            "task": task,
            "paradigm": paradigm,
            "seeds": int(group["seed"].nunique()),
            "levels": _level_range(group["level"].unique()),
            "last_level": int(group["level"].max()),
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
    return rows


def chain_progress(
    results: Path,
    files: list[Path],
    threshold: float,
    baselines: pd.DataFrame | None = None,
    planned: dict | None = None,
) -> pd.DataFrame:
    """One row per ticket chain of the metrics.json `files` (under `results`): seeds, finished levels, and the
    interim critical level. With `planned`
    (`planned_chains`): also the planned last level, the chains not started yet, and the core-hours left: the
    levels to go times the median core-time of the chain's finished levels >= 1 (every network's `wall_time_s`,
    tickets and `baselines` rows, summed per level; a level job shares its wall time among its networks)."""
    metrics = _read(_metric_files(files, layout.IMP_LEVEL))
    rows: list[dict] = []
    table = None
    if metrics:
        located = pd.DataFrame([{k: m[k] for k in ("task", "paradigm", "seed", "level")} for m in metrics])
        finished = finished_prefix(located.assign(index=range(len(metrics))), CHAIN)
        # A variant chain of the sensitivity study (`<task>@<arm>`) is measured against its base task's random policy.
        random_return = {}
        for base in sorted({base_task_id(task) for task in finished["task"]}):
            path = results / "random" / f"{base}.json"
            if path.exists():
                random_return[base] = load_json(path, required_keys=("task", "mean_return"))["mean_return"]
        table = imp_table_of([metrics[i] for i in finished["index"]], random_return)
        rows = _chain_rows(table, critical_sparsity(table, threshold).set_index(CHAIN), set(random_return))
    if planned is None:
        return pd.DataFrame(rows)
    level_cost = _level_core_seconds(table, baselines)
    by_chain = {(r["task"], r["paradigm"]): r for r in rows}
    for key, last_planned in sorted(planned.items()):
        row = by_chain.setdefault(key, {"task": key[0], "paradigm": key[1], "seeds": 0, "levels": "-", "holding": None})
        row["planned_last_level"] = last_planned
        done = row.get("last_level", -1)
        costs = level_cost.get(key, [])
        row["core_hours_left"] = (last_planned - done) * float(np.median(costs)) / 3600 if costs else np.nan
    return pd.DataFrame(list(by_chain.values())).sort_values(CHAIN, ignore_index=True)


def _level_core_seconds(table: pd.DataFrame | None, baselines: pd.DataFrame | None) -> dict[tuple, list[float]]:
    """(task, paradigm) -> the core-seconds of each finished level >= 1 of the chain (its tickets and baselines)."""
    if table is None:
        return {}
    parts = [table[[*CHAIN, "level", "wall_time_s"]]]
    if baselines is not None and not baselines.empty:
        last = table.groupby(CHAIN)["level"].max().rename("last")
        joined = baselines.join(last, on=CHAIN)
        parts.append(joined.loc[joined["level"] <= joined["last"], [*CHAIN, "level", "wall_time_s"]])
    per_level = pd.concat(parts).query("level >= 1").groupby([*CHAIN, "level"])["wall_time_s"].sum()
    return {key: group.tolist() for key, group in per_level.groupby(level=[0, 1])}


def finished_baselines(files: list[Path]) -> pd.DataFrame:
    """The baseline networks' rows (`imp.tables.level_row` + condition) of the metrics.json `files`, at the levels
    every seed has finished."""
    paths = _metric_files(files, layout.BASELINE_LEVEL)
    if not paths:
        return pd.DataFrame()
    rows = pd.DataFrame([{**level_row(m), "condition": m["condition"]} for m in _read(paths)])
    return finished_prefix(rows, [*CHAIN, "condition"])


def baseline_progress(baselines: pd.DataFrame) -> pd.DataFrame:
    """One row per (task, paradigm, condition): seeds, finished levels, mean best return at the last one."""
    out = []
    if baselines.empty:
        return pd.DataFrame(out)
    for (task, paradigm, condition), group in baselines.groupby([*CHAIN, "condition"], sort=True):
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


def _read(paths: list[Path]) -> list[dict]:
    return [load_json(path, required_keys=METRIC_KEYS) for path in paths]


def progress(results: Path, threshold: float = 0.95, config: dict | None = None) -> dict[str, pd.DataFrame]:
    """The ticket chains' and the baselines' progress in `results` (with `config`: against what it plans);
    ArtifactError if it holds no level at all."""
    results = Path(results)
    if not results.is_dir():
        raise ArtifactError(f"{results}: no such results folder")
    files = sorted(results.rglob("metrics.json"))  # one walk of the tree for tickets and baselines
    baselines = finished_baselines(files)
    planned = planned_chains(config) if config is not None else None
    chains = chain_progress(results, files, threshold, baselines, planned)
    if chains.empty or (chains["seeds"] == 0).all():
        raise ArtifactError(
            f"{results}: no finished IMP level yet ({layout.IMP_LEVEL.file('metrics.json')} is written by the "
            f"rule family {layout.IMP_LEVEL.rule}*)"
        )
    return {"chains": chains, "baselines": baseline_progress(baselines)}


def format_progress(report: dict[str, pd.DataFrame], threshold: float) -> str:
    chains = report["chains"]
    planned = "planned_last_level" in chains.columns
    lines = [
        "Ticket chains (levels every seed has finished; critical level = the last level up to which the mean best",
        f"return stays >= {threshold:g} of dense, as results/tables/critical_sparsity.csv)",
        "",
        f"  {'task':<26} {'paradigm':<8} {'seeds':>5} {'levels':>7}{' of' if planned else ''} {'% left':>8} "
        f"{'mean best (dense)':>19}  critical level",
    ]
    for row in chains.itertuples():
        of = f" {row.planned_last_level:>2}" if planned else ""
        if not row.seeds:
            lines.append(f"  {row.task:<26} {row.paradigm:<8} {0:>5} {'-':>7}{of}  not started")
            continue
        if row.holding is None:
            critical = "(needs results/random/<task>.json)"
        elif np.isnan(row.critical_level):  # level 0 passes by definition unless the ratio is undefined
            critical = "undefined: dense is no better than the random policy"
        else:
            critical = f"{int(row.critical_level)}" + (", still holding at the last level" if row.holding else "")
        best = f"{row.mean_best_last:.1f} ({row.dense_mean_best:.1f})"
        lines.append(
            f"  {row.task:<26} {row.paradigm:<8} {row.seeds:>5} {row.levels:>7}{of} {row.percent_remaining:>7.2f}% "
            f"{best:>19}  {critical}"
        )
    if planned:
        known = chains["core_hours_left"].dropna()
        unknown = int(chains["core_hours_left"].isna().sum())
        lines += [
            "",
            f"Left: ~{known.sum():.1f} core-hours of level jobs in {len(known)} chains (the levels to go times the",
            "median core-time of the chain's finished levels >= 1)"
            + (f"; {unknown} chains without a finished level >= 1 are not estimated" if unknown else ""),
        ]
    if not report["baselines"].empty:
        lines += ["", "Baselines (levels every seed has finished, mean best return at the last one)", ""]
        for row in report["baselines"].itertuples():
            lines.append(
                f"  {row.task:<26} {row.paradigm:<8} {row.condition:<18} {row.seeds:>5} seeds  levels "
                f"{row.levels:>6}  {row.mean_best_last:.1f}"
            )
    return "\n".join(lines)
