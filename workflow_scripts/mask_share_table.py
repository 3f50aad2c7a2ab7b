"""Mask share per task and paradigm (PROTOCOL §1.4): results/tables/mask_share.csv."""

from rltickets.workflow import start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.analysis import CONDITIONS_COLUMNS, mask_share

table = mask_share(artifacts.load_csv(sm.input[0], CONDITIONS_COLUMNS), sm.params.min_gap)
log.info("\n%s", table.to_string())
artifacts.save_csv(sm.output[0], table)
