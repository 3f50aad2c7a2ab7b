"""Training curves of agents on the observation with pruned inputs removed vs the full one (poster I)."""

import pandas as pd

from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job
from rltickets.representations.plots import plot_masked_input

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_analysis_job(sm)

artifacts.save_figure(plot_masked_input(pd.read_csv(sm.input.curves)), sm.output.png, sm.output.pdf)
