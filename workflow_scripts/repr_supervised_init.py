"""θ0 of the digit classifier of one seed (the init every supervised IMP level rewinds to)."""

from rltickets.workflow import start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_job(sm)

from rltickets import artifacts
from rltickets.supervised import initial_parameters, load_dataset

settings = sm.params.settings
data = load_dataset(sm.wildcards.dataset, settings["mnist_dir"], settings["test_fraction"])
artifacts.save_tensors(sm.output[0], initial_parameters(data, settings["network"], int(sm.wildcards.seed)))
