"""A dense PPO agent on the observation with the RL ticket's pruned input units removed (variant `pruned`), or
on the full observation (variant `full`, the control): same network, hyper-parameters and budget."""

from rltickets.workflow import provenance, start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.masking import prunable_weight_names
from rltickets.representations import kept_input_indices, train_masked_input_agent
from rltickets.tasks import get_task

task, variant, seed = sm.wildcards.task, sm.wildcards.variant, int(sm.wildcards.seed)
if variant == "pruned":
    theta0 = artifacts.load_tensors(sm.input.theta0)
    masks = artifacts.load_masks(sm.input.masks, reference=theta0)
    keep = kept_input_indices(masks, prunable_weight_names(theta0)[0])
else:
    keep = list(range(len(get_task(task).input_names)))
log.info("%s: training on %d input units", variant, len(keep))
metrics = train_masked_input_agent(task, sm.params.settings, seed, keep, sm.params.budget)
log.info("best %.3f final %.3f in %.0f s", metrics["best_return"], metrics["final_return"], metrics["wall_time_s"])
config = {**sm.params.settings, "budget": sm.params.budget, "mask_level": sm.params.level}
artifacts.save_json(sm.output[0], {**metrics, "variant": variant, "config": config, "versions": provenance()})
