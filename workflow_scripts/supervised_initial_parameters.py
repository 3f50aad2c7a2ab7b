"""θ0 of the digit classifier of one seed (the init every supervised IMP level rewinds to)."""

from rltickets.infra import tensors
from rltickets.infra.settings import SupervisedSettings
from rltickets.infra.training_jobs import start_training_job
from rltickets.representations.supervised import initial_parameters, load_dataset

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_training_job(sm)

settings = SupervisedSettings.from_dict(sm.params.settings)
data = load_dataset(sm.wildcards.dataset, settings.mnist_dir, settings.test_fraction)
tensors.save_tensors(sm.output[0], initial_parameters(data, list(settings.network), int(sm.wildcards.seed)))
