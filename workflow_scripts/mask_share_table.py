"""The mask share per task and paradigm: how much of the ticket effect the mask accounts for."""

from rltickets.infra.jobs import start_analysis_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

from rltickets.baselines.tables import CONDITIONS_COLUMNS, mask_share
from rltickets.infra import artifacts

table = mask_share(artifacts.load_csv(sm.input[0], CONDITIONS_COLUMNS), sm.params.min_gap)
log.info("\n%s", table.to_string())
artifacts.save_csv(sm.output[0], table)
