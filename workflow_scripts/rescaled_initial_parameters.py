"""θ0 of a task and seed with its prunable layers rescaled (init rescaling, a reconstruction [R])."""

from rltickets.core.masking import prunable_weight_names
from rltickets.infra import tensors
from rltickets.infra.training_jobs import start_training_job
from rltickets.representations.rescaling import rescale_initial_parameters

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_training_job(sm)

theta0 = tensors.load_tensors(sm.input[0])
prunable = prunable_weight_names(theta0, include_critic=sm.params.prune_critic)
rescaled = rescale_initial_parameters(theta0, sm.wildcards.rescaling, prunable)
for name in prunable:
    log.info("%s: std %.4f -> %.4f", name, float(theta0[name].std()), float(rescaled[name].std()))
tensors.save_tensors(sm.output[0], rescaled)
