"""One disentangling baseline of one level: transform the ticket's mask (and θ0), train, write the level folder."""

from rltickets.workflow import provenance, start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.baselines import run_baseline
from rltickets.bc import check_dataset

paradigm, task, condition = sm.wildcards.paradigm, sm.wildcards.task, sm.wildcards.condition
seed, level = int(sm.wildcards.seed), int(sm.wildcards.level)
theta0 = artifacts.load_tensors(sm.input.theta0)
ticket_masks = artifacts.load_masks(sm.input.ticket_masks, reference=theta0)
dataset = None
if paradigm == "bc":
    dataset = artifacts.load_npz(sm.input.dataset, required=("observations", "actions"))
    if problem := check_dataset(dataset):
        raise artifacts.artifact_error(sm.input.dataset, problem)
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
artifacts.save_tensors(sm.output.masks, masks)
artifacts.save_tensors(sm.output.weights, weights)
artifacts.save_json(
    sm.output.metrics, {**metrics, "config": {**sm.params.settings, "imp": sm.params.imp}, "versions": provenance()}
)
