"""One IMP level of one (paradigm, task, seed): prune level k-1, rewind to θ0, train, write the level folder.
Also the level job of the init-rescaled chains (rule rescaled_imp_level): the same job on a rescaled θ0."""

from rltickets.infra.training_jobs import provenance, start_training_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_training_job(sm)

from rltickets.bc.dataset import load_bc_dataset
from rltickets.imp.level import LevelId, run_level
from rltickets.infra import artifacts, tensors
from rltickets.infra.settings import ImpSettings, TaskSettings

w = sm.wildcards
run = LevelId(w.paradigm, w.task, int(w.seed), int(w.level))
theta0 = tensors.load_tensors(sm.input.theta0)
previous = None
if run.level > 0:
    previous_masks = tensors.load_masks(sm.input.previous_masks, reference=theta0)
    previous = previous_masks, tensors.load_tensors(sm.input.previous_weights)
dataset = load_bc_dataset(sm.input.dataset) if run.paradigm == "bc" else None
settings, imp = TaskSettings.from_dict(sm.params.settings), ImpSettings.from_dict(sm.params.imp)
masks, weights, metrics = run_level(run, settings, imp, theta0, previous, dataset)
log.info(
    "level %d: %.2f%% remaining, best %.1f", run.level, 100 * metrics["fraction_remaining"], metrics["best_return"]
)
tensors.save_tensors(sm.output.masks, masks)
tensors.save_tensors(sm.output.weights, weights)
artifacts.save_json(
    sm.output.metrics, {**metrics, "config": {**sm.params.settings, "imp": sm.params.imp}, "versions": provenance()}
)
