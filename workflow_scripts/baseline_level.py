"""Disentangling baselines of one condition and seed: for each level (one per `baseline_level` job, all of
`baselines.levels` per `baseline_chain` job), transform the ticket's mask (and θ0), train, write the level folder."""

from rltickets.workflow import provenance, start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.baselines import run_baseline
from rltickets.bc import check_dataset
from rltickets.workflow import file_list

paradigm, task, condition = sm.wildcards.paradigm, sm.wildcards.task, sm.wildcards.condition
seed = int(sm.wildcards.seed)
theta0 = artifacts.load_tensors(sm.input.theta0)
dataset = None
if paradigm == "bc":
    dataset = artifacts.load_npz(sm.input.dataset, required=("observations", "actions"))
    if problem := check_dataset(dataset):
        raise artifacts.artifact_error(sm.input.dataset, problem)
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
    ticket_masks = artifacts.load_masks(ticket_masks_path, reference=theta0)
    masks, weights, metrics = run_baseline(
        condition, paradigm, task, sm.params.settings, sm.params.imp, seed, level, theta0, ticket_masks, dataset
    )
    log.info(
        "%s level %d: %.2f%% remaining, best %.1f",
        condition,
        level,
        100 * metrics["fraction_remaining"],
        metrics["best_return"],
    )
    artifacts.save_tensors(masks_path, masks)
    artifacts.save_tensors(weights_path, weights)
    artifacts.save_json(
        metrics_path, {**metrics, "config": {**sm.params.settings, "imp": sm.params.imp}, "versions": provenance()}
    )
