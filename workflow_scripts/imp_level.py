"""One level of an IMP chain (ticket or init-rescaled) for every seed of the job: prune level k-1, rewind to θ0,
train; at `baselines.levels` also every seed's baselines. Writes one level folder per seed and condition."""

from rltickets.bc.dataset import load_bc_dataset
from rltickets.core.observations import ObservationStandardization
from rltickets.imp.level import TICKET, LevelJob, SeedInputs, level_metrics, run_level_job
from rltickets.infra import artifacts, tensors
from rltickets.infra.settings import ImpSettings, TaskSettings
from rltickets.infra.training_jobs import file_list, provenance, start_training_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_training_job(sm)

w = sm.wildcards
level, seeds = int(w.level), tuple(sm.params.seeds)
none = [None] * len(seeds)
theta0s = [tensors.load_tensors(path) for path in file_list(sm.input.theta0)]
previous = none
if level > 0:
    previous = [
        (tensors.load_masks(masks, reference=theta0), tensors.load_tensors(weights))
        for masks, weights, theta0 in zip(
            file_list(sm.input.previous_masks), file_list(sm.input.previous_weights), theta0s, strict=True
        )
    ]
datasets = [load_bc_dataset(path) for path in file_list(sm.input.dataset)] if w.paradigm == "bc" else none
# A chain that standardises its observations (init rescaling obs_standardized) reads fixed statistics per seed.
statistics = none
if "observation_statistics" in sm.input.keys():
    statistics = [ObservationStandardization.load(path) for path in file_list(sm.input.observation_statistics)]
inputs = [SeedInputs(*per_seed) for per_seed in zip(theta0s, previous, datasets, statistics, strict=True)]
settings, imp = TaskSettings.from_dict(sm.params.settings), ImpSettings.from_dict(sm.params.imp)
job = LevelJob(w.paradigm, w.task, level, seeds, settings, imp, tuple(sm.params.conditions))
trained = run_level_job(job, inputs)

# Networks come back tickets first (by seed), then baselines (by condition, then seed): the order of the outputs.
folders = {
    (prefix, name): iter(file_list(sm.output[prefix + name]))
    for prefix in ("", "baseline_")
    for name in ("masks", "weights", "metrics")
    if prefix + name in sm.output.keys()
}
versions, config = provenance(), {**sm.params.settings, "imp": sm.params.imp}
for network in trained:
    prefix = "" if network.network.condition == TICKET else "baseline_"
    metrics = level_metrics(network, imp)
    log.info(
        "%s seed %d level %d: %.2f%% left, best %.1f",
        network.network.condition,
        network.network.run.seed,
        level,
        100 * metrics["fraction_remaining"],
        metrics["best_return"],
    )
    tensors.save_tensors(next(folders[prefix, "masks"]), network.network.masks)
    tensors.save_tensors(next(folders[prefix, "weights"]), network.weights)
    artifacts.save_json(next(folders[prefix, "metrics"]), {**metrics, "config": config, "versions": versions})
