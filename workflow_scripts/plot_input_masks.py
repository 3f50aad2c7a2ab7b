"""Input-layer masks: digits pixels and gridworld channels at chosen levels (Fig. 1 left, poster)."""

import pandas as pd

from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job
from rltickets.representations.plots import plot_input_masks

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_analysis_job(sm)

artifacts.save_figure(plot_input_masks(pd.read_csv(sm.input.input_mask)), sm.output.png, sm.output.pdf)
