"""One supervised IMP level on digits: prune level k-1, rewind to θ0, train the classifier, write the level folder."""

from rltickets.workflow import provenance, start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.supervised import load_dataset, run_supervised_level

dataset, seed, level = sm.wildcards.dataset, int(sm.wildcards.seed), int(sm.wildcards.level)
settings = sm.params.settings
data = load_dataset(dataset, settings["mnist_dir"], settings["test_fraction"])
theta0 = artifacts.load_tensors(sm.input.theta0)
previous_masks = previous_weights = None
if level > 0:
    previous_weights = artifacts.load_tensors(sm.input.previous_weights)
    previous_masks = artifacts.load_masks(sm.input.previous_masks, reference=theta0)
masks, weights, metrics = run_supervised_level(
    dataset, data, settings, sm.params.prune_fraction, seed, level, theta0, previous_masks, previous_weights
)
log.info(
    "level %d: %.2f%% left, best accuracy %.3f", level, 100 * metrics["fraction_remaining"], metrics["best_accuracy"]
)
artifacts.save_tensors(sm.output.masks, masks)
artifacts.save_tensors(sm.output.weights, weights)
config = {**settings, "prune_fraction": sm.params.prune_fraction}
artifacts.save_json(sm.output.metrics, {**metrics, "config": config, "versions": provenance()})
