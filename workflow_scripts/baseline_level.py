"""Disentangling baselines of one condition and seed: for each level (one per `baseline_level` job, all of
`baselines.levels` per `baseline_chain` job), transform the ticket's mask (and θ0), train, write the level folder."""

from rltickets.infra.training_jobs import provenance, start_training_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_training_job(sm)

from rltickets.baselines.run import run_baseline
from rltickets.bc.dataset import load_bc_dataset
from rltickets.imp.level import LevelId
from rltickets.infra import artifacts, tensors
from rltickets.infra.settings import ImpSettings, TaskSettings
from rltickets.infra.training_jobs import file_list

w = sm.wildcards
theta0 = tensors.load_tensors(sm.input.theta0)
dataset = load_bc_dataset(sm.input.dataset) if w.paradigm == "bc" else None
settings, imp = TaskSettings.from_dict(sm.params.settings), ImpSettings.from_dict(sm.params.imp)
level_files = zip(
    sm.params.levels,
    file_list(sm.input.ticket_masks),
    file_list(sm.output.masks),
    file_list(sm.output.weights),
    file_list(sm.output.metrics),
    strict=True,
)
# Each level is written as soon as it is trained; every level's seed comes from (seed, level), so a chain job writes
# what the per-level jobs write, bit for bit (tests/test_workflow.py).
for level, ticket_masks_path, masks_path, weights_path, metrics_path in level_files:
    run = LevelId(w.paradigm, w.task, int(w.seed), level)
    ticket_masks = tensors.load_masks(ticket_masks_path, reference=theta0)
    masks, weights, metrics = run_baseline(w.condition, run, settings, imp, theta0, ticket_masks, dataset)
    log.info(
        "%s level %d: %.2f%% left, best %.1f",
        w.condition,
        level,
        100 * metrics["fraction_remaining"],
        metrics["best_return"],
    )
    tensors.save_tensors(masks_path, masks)
    tensors.save_tensors(weights_path, weights)
    artifacts.save_json(
        metrics_path, {**metrics, "config": {**sm.params.settings, "imp": sm.params.imp}, "versions": provenance()}
    )
