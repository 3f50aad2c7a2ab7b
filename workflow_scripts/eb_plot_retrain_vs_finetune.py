"""Fig. 3.5 / 3.6: retrained vs fine-tuned networks of one task, per P, with the winning-ticket lines."""

import pandas as pd

from rltickets.earlybird.plots import plot_retrain_vs_finetune
from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

runs = pd.read_csv(sm.input[0])
artifacts.save_figure(plot_retrain_vs_finetune(runs, sm.wildcards.task), sm.output.png, sm.output.pdf)
