"""θ0 of one task and seed: the initial policy shared by the RL and BC students of that seed."""

from rltickets.core.ppo import initial_parameters
from rltickets.infra import tensors
from rltickets.infra.settings import TaskSettings
from rltickets.infra.training_jobs import start_training_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_training_job(sm)

settings = TaskSettings.from_dict(sm.params.settings)
tensors.save_tensors(sm.output[0], initial_parameters(sm.wildcards.task, settings, int(sm.wildcards.seed)))
