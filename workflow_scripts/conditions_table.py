"""The tickets and their disentangling baselines in one tidy table (results/tables/conditions.csv)."""

from rltickets.baselines.tables import conditions_table
from rltickets.imp.tables import IMP_COLUMNS
from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

table = conditions_table(artifacts.load_csv(sm.input.tickets, IMP_COLUMNS), sm.input.metrics)
log.info("%d rows", len(table))
artifacts.save_csv(sm.output[0], table)
