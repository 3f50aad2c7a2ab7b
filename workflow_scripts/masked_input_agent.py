"""A dense PPO agent on the observation with the RL ticket's pruned input units removed (variant `pruned`), or
on the full observation (variant `full`, the control): same network, hyper-parameters and budget."""

from rltickets.core.masking import prunable_weight_names
from rltickets.core.tasks import get_task
from rltickets.infra import artifacts, tensors
from rltickets.infra.settings import PpoBudget, TaskSettings
from rltickets.infra.training_jobs import provenance, start_training_job
from rltickets.representations.masked_input import kept_input_indices, train_masked_input_agent

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_training_job(sm)

task, variant, seed = sm.wildcards.task, sm.wildcards.variant, int(sm.wildcards.seed)
if variant == "pruned":
    theta0 = tensors.load_tensors(sm.input.theta0)
    masks = tensors.load_masks(sm.input.masks, reference=theta0)
    keep = kept_input_indices(masks, prunable_weight_names(theta0)[0])
else:
    keep = list(range(len(get_task(task).input_names)))
log.info("%s: training on %d input units", variant, len(keep))
settings, budget = TaskSettings.from_dict(sm.params.settings), PpoBudget.from_dict(sm.params.budget)
metrics = train_masked_input_agent(task, settings, seed, keep, budget)
log.info("best %.3f final %.3f in %.0f s", metrics["best_return"], metrics["final_return"], metrics["wall_time_s"])
config = {**sm.params.settings, "budget": sm.params.budget, "mask_level": sm.params.level}
artifacts.save_json(sm.output[0], {**metrics, "variant": variant, "config": config, "versions": provenance()})
