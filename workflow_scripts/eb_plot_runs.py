"""Fig. 3.4 (retrain), Fig. 3.7 (fine-tune) and Fig. 3.8 (EB Exploit) from the Early-Bird runs table."""

import pandas as pd

from rltickets.earlybird.plots import plot_against_prune_episode, plot_exploit
from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

runs = pd.read_csv(sm.input[0])
artifacts.save_figure(plot_against_prune_episode(runs, "rewind"), sm.output.retrain_png, sm.output.retrain_pdf)
artifacts.save_figure(plot_against_prune_episode(runs, "finetune"), sm.output.finetune_png, sm.output.finetune_pdf)
artifacts.save_figure(plot_exploit(runs), sm.output.exploit_png, sm.output.exploit_pdf)
