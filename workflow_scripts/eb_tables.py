"""Tidy table of every Early-Bird run (unpruned references, Exp 2/3 retrains, winning tickets, EB Exploit),
the EB verdict table (the four criteria of the thesis §3.4 with the numbers behind each) and Exp 1's mask stability."""

from rltickets.earlybird.masks import load_similarity
from rltickets.earlybird.tables import (
    dense_rows,
    exploit_row,
    exploitation_start,
    mask_stability_table,
    pruned_row,
    runs_table,
    verdict_table,
    verdict_tolerances,
)
from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

rows = []
starts = {task: [] for task in sm.params.tasks}
for path in sm.input.dense:
    dense = artifacts.load_json(
        path, required_keys=("task", "repetition", "unpruned_test", "early_stopping_episode", "episode_epsilons")
    )
    rows += dense_rows(dense["task"], dense["repetition"], dense)
    starts[dense["task"]].append(exploitation_start(dense["episode_epsilons"], sm.params.epsilon_min[dense["task"]]))
for path in sm.input.pruned:
    m = artifacts.load_json(path, required_keys=("task", "repetition", "prune_label", "mode", "test_return"))
    rows.append(pruned_row(m["task"], m["repetition"], m["prune_label"], m, m["dense_early_stopping_episode"]))
for path in sm.input.exploit:
    m = artifacts.load_json(path, required_keys=("task", "repetition", "found", "test_return"))
    rows.append(exploit_row(m["task"], m["repetition"], m))
runs = runs_table(rows)
verdicts = verdict_table(runs, sm.params.return_bounds, verdict_tolerances(sm.params.verdict))
log.info("%d runs, %d verdict rows, %d Early-Bird", len(runs), len(verdicts), int(verdicts["early_bird"].sum()))
artifacts.save_csv(sm.output.runs, runs)
artifacts.save_csv(sm.output.verdicts, verdicts)
similarity = load_similarity(sm.params.tasks, list(sm.input.similarity))
artifacts.save_csv(sm.output.stability, mask_stability_table(similarity, starts, sm.params.stable_distance))
