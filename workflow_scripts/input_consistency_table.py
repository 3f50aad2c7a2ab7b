"""Cross-seed consistency of the kept input sets (mean pairwise Jaccard) per chain setting and level."""

import pandas as pd

from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job
from rltickets.representations.tables import consistency_table

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

table = consistency_table(pd.read_csv(sm.input[0]))
log.info("\n%s", table.to_string())
artifacts.save_csv(sm.output[0], table)
