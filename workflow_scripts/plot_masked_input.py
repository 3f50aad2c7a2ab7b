"""Training curves of agents on the observation with pruned inputs removed vs the full one (poster I)."""

from rltickets.infra.jobs import start_analysis_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_analysis_job(sm)

import pandas as pd

from rltickets.infra import artifacts
from rltickets.representations.plots import plot_masked_input

artifacts.save_figure(plot_masked_input(pd.read_csv(sm.input.curves)), sm.output.png, sm.output.pdf)
