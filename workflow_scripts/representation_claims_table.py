"""Verdicts of claims 3-4: irrelevant inputs pruned first; init rescaling and the identification of task inputs."""

import pandas as pd

from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job
from rltickets.summary.claims import ClaimRules, representation_claims

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

p = sm.params
table = representation_claims(
    pd.read_csv(sm.input.input_mask),
    pd.read_csv(sm.input.consistency),
    p.grid_task,
    p.digits_task,
    ClaimRules(min_n=p.min_n, test=p.test, alpha=p.alpha),
)
log.info("\n%s", table.to_string())
artifacts.save_csv(sm.output[0], table)
