"""Which Snakemake rules the level jobs need: one job per (paradigm, task, level) trains every seed of the chain at
that level — and, at `baselines.levels`, every baseline condition of every seed — in one process.

A rule's outputs are fixed lists (one folder per seed and condition), so jobs with different seed lists or with and
without baselines need rules of their own. `level_job_rules` groups the tasks by seed list (or by chunk of
`imp.seeds_per_job` seeds) and the levels by whether baselines are trained there, and names each group's rule.
The rules partition the (task, level) space through their wildcard constraints, so every level folder has exactly
one producing job.

Import-light (no torch): the Snakefile imports it at parse time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..infra.layout import WITH_BASELINES


@dataclass(frozen=True)
class LevelJobRule:
    """One generated level rule: its name, the seeds each of its jobs trains, the tasks and levels it covers,
    and the baseline conditions it trains beside the tickets (empty: tickets only)."""

    name: str
    seeds: tuple[int, ...]
    tasks: tuple[str, ...]
    levels: tuple[int, ...]
    conditions: tuple[str, ...] = ()

    @property
    def wildcard_constraints(self) -> dict[str, str]:
        return {"task": alternatives(self.tasks), "level": alternatives(self.levels)}


def alternatives(values: Iterable) -> str:
    """A regex matching exactly these values (a rule's wildcard constraint)."""
    return "|".join(re.escape(str(value)) for value in values)


def seed_chunks(seeds: Sequence[int], seeds_per_job: int | None) -> list[tuple[int, ...]]:
    """The seed lists of a chain's level jobs: all seeds in one job, or chunks of `seeds_per_job` (for a cluster
    whose time limit is shorter than a level of all seeds). A seed's numbers never depend on its chunk."""
    seeds = tuple(seeds)
    if seeds_per_job is None or seeds_per_job >= len(seeds):
        return [seeds]
    if seeds_per_job < 1:
        raise ValueError(f"imp.seeds_per_job must be >= 1 or null, got {seeds_per_job}")
    return [seeds[i : i + seeds_per_job] for i in range(0, len(seeds), seeds_per_job)]


def level_job_rules(
    base: str,
    seeds_of_task: Mapping[str, Sequence[int]],
    levels: Sequence[int],
    baseline_levels: Sequence[int] = (),
    conditions: Sequence[str] = (),
    baseline_tasks: Iterable[str] | None = None,
    seeds_per_job: int | None = None,
    levels_of_task: Mapping[str, Sequence[int]] | None = None,
) -> list[LevelJobRule]:
    """The level rules of one family of chains (`base`: `imp_level`, `rescaled_imp_level`).

    `baseline_tasks` (default: every task) get `conditions` trained at `baseline_levels`; the other tasks' jobs
    train tickets only there. Rule names: `base`, plus `_with_baselines` where baselines are trained, plus
    `_seeds<first>_<last>` when the tasks' seed lists differ or are chunked, plus `_2`, `_3`, ... to tell apart
    rules that would otherwise share a name. `levels_of_task`: a chain's own levels where they differ from
    `levels` (the sensitivity study's variant chains); such chains get rules of their own."""
    with_baselines_tasks = set(seeds_of_task if baseline_tasks is None else baseline_tasks)
    levels_of_task = levels_of_task or {}
    seed_groups: dict[tuple[int, ...], list[str]] = {}
    for task, seeds in seeds_of_task.items():
        for chunk in seed_chunks(seeds, seeds_per_job):
            seed_groups.setdefault(chunk, []).append(task)
    suffixes = _seed_suffixes(list(seed_groups)) if len(seed_groups) > 1 else {seeds: "" for seeds in seed_groups}
    rules: list[LevelJobRule] = []
    for seeds, seed_tasks in seed_groups.items():
        level_groups: dict[tuple[int, ...], list[str]] = {}
        for task in seed_tasks:
            level_groups.setdefault(tuple(levels_of_task.get(task, levels)), []).append(task)
        for chain_levels, tasks in level_groups.items():
            trained_with = [t for t in tasks if t in with_baselines_tasks]
            trained_without = [t for t in tasks if t not in with_baselines_tasks]
            with_levels = tuple(k for k in chain_levels if k in set(baseline_levels)) if conditions else ()
            plain_levels = tuple(k for k in chain_levels if k not in with_levels)
            cells = [
                (tuple(tasks), plain_levels, ()),
                (tuple(trained_with), with_levels, tuple(conditions)),
                (tuple(trained_without), with_levels, ()),
            ]
            for cell_tasks, cell_levels, cell_conditions in cells:
                if cell_tasks and cell_levels:
                    name = base + (WITH_BASELINES if cell_conditions else "") + suffixes[seeds]
                    taken = {rule.name for rule in rules}
                    unique, counter = name, 2
                    while unique in taken:
                        unique, counter = f"{name}_{counter}", counter + 1
                    rules.append(LevelJobRule(unique, seeds, cell_tasks, cell_levels, cell_conditions))
    return rules


def _seed_suffixes(seed_lists: list[tuple[int, ...]]) -> dict[tuple[int, ...], str]:
    suffixes: dict[tuple[int, ...], str] = {}
    for seeds in seed_lists:
        suffix = f"_seeds{seeds[0]}_{seeds[-1]}"
        if suffix in suffixes.values():
            suffix += f"_{len(suffixes)}"
        suffixes[seeds] = suffix
    return suffixes


def study_level_job_rules(config: Mapping, study) -> dict[str, list[LevelJobRule]]:
    """Every generated level rule of a validated config (`study`: its `infra.settings.Study`), by family:
    `imp_level` (the ticket chains) and `rescaled_imp_level` (the init-rescaled chains).

    A ticket chain trains the study's seeds of its task, plus `representations.seeds` for the gridworld and the
    init-rescaling tasks (whose `none` setting is the ticket chain). Baselines are trained for the study's tasks,
    never for the sensitivity study's variant chains (`study.variants`), which train their base task's seeds at
    their own levels."""
    representations = config["representations"]
    grid, repr_seeds = representations["grid_task"], tuple(representations["seeds"])
    rescaled_tasks = tuple(representations["init_rescaling"]["tasks"])
    chains: dict[str, tuple[int, ...]] = {}
    for task in (*study.tasks, grid, *rescaled_tasks):
        if task:
            own = study.seeds_of(task) if task in study.tasks else ()
            extra = repr_seeds if task == grid or task in rescaled_tasks else ()
            chains[task] = tuple(sorted({*own, *extra}))
    for chain in study.variants:
        chains[chain] = tuple(study.seeds_of(chain))
    baselines = config["baselines"]
    return {
        "imp_level": level_job_rules(
            "imp_level",
            chains,
            study.levels,
            baselines["levels"],
            baselines["conditions"],
            baseline_tasks=study.tasks,
            seeds_per_job=study.imp.seeds_per_job,
            levels_of_task={chain: study.levels_of(chain) for chain in study.variants},
        ),
        "rescaled_imp_level": level_job_rules(
            "rescaled_imp_level",
            {task: tuple(sorted(repr_seeds)) for task in rescaled_tasks},
            study.levels,
            seeds_per_job=study.imp.seeds_per_job,
        ),
    }
