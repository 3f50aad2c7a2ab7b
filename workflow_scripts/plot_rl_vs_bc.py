"""Fig. 2: RL vs BC tickets, best return against % weights remaining."""

from rltickets.imp.plots import plot_rl_vs_bc
from rltickets.imp.tables import IMP_COLUMNS
from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_analysis_job(sm)

artifacts.save_figure(plot_rl_vs_bc(artifacts.load_csv(sm.input[0], IMP_COLUMNS)), sm.output.png, sm.output.pdf)
