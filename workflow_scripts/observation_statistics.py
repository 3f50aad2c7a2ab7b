"""Fixed observation statistics of one (task, seed) for the init rescaling `obs_standardized` [R]: per input the mean
and the floored population std of the seed's expert BC dataset (rltickets.core.observations)."""

from rltickets.bc.dataset import load_bc_dataset
from rltickets.core.observations import STD_FLOOR, ObservationStandardization
from rltickets.infra.training_jobs import start_training_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_training_job(sm)

dataset = load_bc_dataset(sm.input.dataset)
statistics = ObservationStandardization.of_dataset(dataset)
log.info(
    "%d observations: mean %s, std %s (floor %g)",
    len(dataset["observations"]),
    statistics.mean.tolist(),
    statistics.std.tolist(),
    STD_FLOOR,
)
statistics.save(sm.output[0])
