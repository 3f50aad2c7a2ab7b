"""Fig. 2: best performance vs % weights remaining, RL vs BC."""

import pandas as pd

from rltickets import artifacts
from rltickets.plots import plot_rl_vs_bc
from rltickets.workflow import start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_job(sm)
artifacts.save_figure(plot_rl_vs_bc(pd.read_csv(sm.input[0])), sm.output.png, sm.output.pdf)
