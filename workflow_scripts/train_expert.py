"""Train the dense PPO expert of one task and seed (its rollouts become the BC dataset)."""

from rltickets.experts.expert import train_expert
from rltickets.infra import artifacts, tensors
from rltickets.infra.settings import TaskSettings
from rltickets.infra.training_jobs import provenance, start_training_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_training_job(sm)

task, seed = sm.wildcards.task, int(sm.wildcards.seed)
model, metrics = train_expert(task, TaskSettings.from_dict(sm.params.settings), seed)
log.info(
    "expert best %.1f final %.1f in %.0f s", metrics["best_return"], metrics["final_return"], metrics["wall_time_s"]
)
tensors.save_sb3_model(sm.output.model, model)
artifacts.save_json(
    sm.output.metrics, {"task": task, "seed": seed, **metrics, "config": sm.params.settings, "versions": provenance()}
)
