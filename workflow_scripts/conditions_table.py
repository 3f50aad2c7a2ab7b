"""The ticket and its baselines in one tidy table: results/tables/conditions.csv."""

from rltickets.workflow import start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.analysis import IMP_COLUMNS, conditions_table

table = conditions_table(artifacts.load_csv(sm.input.tickets, IMP_COLUMNS), sm.input.metrics)
log.info("%d rows", len(table))
artifacts.save_csv(sm.output[0], table)
