"""Verdicts of claims 3-4: irrelevant inputs pruned first, init rescaling and consistency."""

from rltickets.infra.jobs import start_analysis_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

import pandas as pd

from rltickets.infra import artifacts
from rltickets.summary.claims import representation_claims

table = representation_claims(
    pd.read_csv(sm.input.input_mask), pd.read_csv(sm.input.consistency), sm.params.grid_task, sm.params.digits_task
)
log.info("\n%s", table.to_string())
artifacts.save_csv(sm.output[0], table)
