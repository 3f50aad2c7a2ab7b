"""One supervised IMP level on digits: prune level k-1, rewind to θ0, train the classifier, write the level folder."""

from rltickets.infra import artifacts, tensors
from rltickets.infra.settings import SupervisedSettings
from rltickets.infra.training_jobs import provenance, start_training_job
from rltickets.representations.supervised import load_dataset, run_supervised_level

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_training_job(sm)

dataset, seed, level = sm.wildcards.dataset, int(sm.wildcards.seed), int(sm.wildcards.level)
settings = SupervisedSettings.from_dict(sm.params.settings)
data = load_dataset(dataset, settings.mnist_dir, settings.test_fraction)
theta0 = tensors.load_tensors(sm.input.theta0)
previous = None
if level > 0:
    previous_masks = tensors.load_masks(sm.input.previous_masks, reference=theta0)
    previous = previous_masks, tensors.load_tensors(sm.input.previous_weights)
masks, weights, metrics = run_supervised_level(
    dataset, data, settings, sm.params.prune_fraction, seed, level, theta0, previous
)
log.info(
    "level %d: %.2f%% left, best accuracy %.3f", level, 100 * metrics["fraction_remaining"], metrics["best_accuracy"]
)
tensors.save_tensors(sm.output.masks, masks)
tensors.save_tensors(sm.output.weights, weights)
config = {**sm.params.settings, "prune_fraction": sm.params.prune_fraction}
artifacts.save_json(sm.output.metrics, {**metrics, "config": config, "versions": provenance()})
