"""The mask share per task and paradigm (how much of the ticket effect the mask accounts for) and the three-way
split of the ticket effect, with the claims' small-n statistics."""

from rltickets.baselines.tables import CONDITIONS_COLUMNS, mask_share
from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

p = sm.params
table = mask_share(artifacts.load_csv(sm.input[0], CONDITIONS_COLUMNS), p.min_gap, p.min_n, p.test, p.alpha)
log.info("\n%s", table.to_string())
artifacts.save_csv(sm.output[0], table)
