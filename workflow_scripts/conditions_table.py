"""The ticket and its baselines in one tidy table: results/tables/conditions.csv."""

import pandas as pd

from rltickets import artifacts
from rltickets.analysis import conditions_table
from rltickets.workflow import start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)
table = conditions_table(pd.read_csv(sm.input.tickets), sm.input.metrics)
log.info("%d rows", len(table))
artifacts.save_csv(sm.output[0], table)
