"""Collect every level's metrics.json into the tidy table results/tables/imp.csv."""

from rltickets.workflow import start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.analysis import imp_table

table = imp_table(sm.input.metrics, sm.input.random)
log.info("%d rows", len(table))
artifacts.save_csv(sm.output[0], table)
