"""Surviving fraction per named state dimension against sparsity, RL vs BC (poster II-IV)."""

import pandas as pd

from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job
from rltickets.representations.plots import plot_state_dims

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_analysis_job(sm)

artifacts.save_figure(plot_state_dims(pd.read_csv(sm.input.input_mask)), sm.output.png, sm.output.pdf)
