"""Input masks with the default and the rescaled init, and their cross-seed consistency (poster Extra)."""

import pandas as pd

from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job
from rltickets.representations.plots import plot_init_rescaling

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_analysis_job(sm)

artifacts.save_figure(
    plot_init_rescaling(pd.read_csv(sm.input.input_mask), pd.read_csv(sm.input.consistency)),
    sm.output.png,
    sm.output.pdf,
)
