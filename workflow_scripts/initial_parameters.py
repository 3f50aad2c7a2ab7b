"""θ0 of one task and seed: the initial policy shared by the RL and BC students of that seed."""

from rltickets.workflow import start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_job(sm)

from rltickets import artifacts
from rltickets.training import initial_parameters

artifacts.save_tensors(sm.output[0], initial_parameters(sm.wildcards.task, sm.params.settings, int(sm.wildcards.seed)))
