"""One IMP level of one (paradigm, task, seed): prune level k-1, rewind to θ0, train, write the level folder."""

from rltickets.workflow import provenance, start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.bc import check_dataset
from rltickets.imp import run_level

paradigm, task = sm.wildcards.paradigm, sm.wildcards.task
seed, level = int(sm.wildcards.seed), int(sm.wildcards.level)
theta0 = artifacts.load_tensors(sm.input.theta0)
previous_masks = previous_weights = dataset = None
if level > 0:
    previous_weights = artifacts.load_tensors(sm.input.previous_weights)
    previous_masks = artifacts.load_masks(sm.input.previous_masks, reference=theta0)
if paradigm == "bc":
    dataset = artifacts.load_npz(sm.input.dataset, required=("observations", "actions"))
    if problem := check_dataset(dataset):
        raise artifacts.artifact_error(sm.input.dataset, problem)
masks, weights, metrics = run_level(
    paradigm, task, sm.params.settings, sm.params.imp, seed, level, theta0, previous_masks, previous_weights, dataset
)
log.info("level %d: %.2f%% remaining, best %.1f", level, 100 * metrics["fraction_remaining"], metrics["best_return"])
artifacts.save_tensors(sm.output.masks, masks)
artifacts.save_tensors(sm.output.weights, weights)
artifacts.save_json(
    sm.output.metrics, {**metrics, "config": {**sm.params.settings, "imp": sm.params.imp}, "versions": provenance()}
)
