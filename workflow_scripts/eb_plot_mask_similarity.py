"""Fig. 3.3: the mean mask-similarity heatmaps, one per task and P."""

from rltickets.earlybird.masks import load_similarity
from rltickets.earlybird.plots import plot_mask_similarity
from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

similarity = load_similarity(sm.params.tasks, list(sm.input))
artifacts.save_figure(plot_mask_similarity(similarity), sm.output.png, sm.output.pdf)
