"""Fig. 2: best performance vs % weights remaining, RL vs BC."""

from rltickets.workflow import start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_job(sm)

from rltickets import artifacts
from rltickets.analysis import IMP_COLUMNS
from rltickets.plots import plot_rl_vs_bc

artifacts.save_figure(plot_rl_vs_bc(artifacts.load_csv(sm.input[0], IMP_COLUMNS)), sm.output.png, sm.output.pdf)
