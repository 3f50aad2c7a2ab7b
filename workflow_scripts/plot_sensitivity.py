"""The claim-1 sensitivity figure: every arm's BC − RL critical-level difference per seed, per task and metric."""

from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job
from rltickets.sensitivity.plots import plot_sensitivity
from rltickets.sensitivity.tables import COLUMNS

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_analysis_job(sm)

table = artifacts.load_csv(sm.input[0], COLUMNS)
artifacts.save_figure(plot_sensitivity(table, sm.params.threshold), sm.output.png, sm.output.pdf)
