"""Collect every level's metrics.json into the tidy table results/tables/imp.csv."""

from rltickets.imp.tables import imp_table
from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

table = imp_table(sm.input.metrics, sm.input.random)
log.info("%d rows", len(table))
artifacts.save_csv(sm.output[0], table)
