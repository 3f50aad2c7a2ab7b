"""Fig. 3.3: the mean mask-similarity heatmaps, one per task and P."""

from rltickets.workflow import start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.plots_earlybird import plot_mask_similarity

similarity = {}
for task, path in zip(sm.params.tasks, sm.input, strict=True):
    arrays = artifacts.load_npz(path, required=("episodes",))
    per_p = {float(k[len("similarity_P") :]): v for k, v in arrays.items() if k.startswith("similarity_P")}
    similarity[task] = (arrays["episodes"], per_p)
artifacts.save_figure(plot_mask_similarity(similarity), sm.output.png, sm.output.pdf)
