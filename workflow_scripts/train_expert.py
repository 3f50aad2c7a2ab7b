"""Train the dense PPO expert of one task and seed (its rollouts become the BC dataset)."""

from rltickets.workflow import provenance, start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.training import train_ppo

task, seed, settings = sm.wildcards.task, int(sm.wildcards.seed), sm.params.settings
budget = settings["expert"]
model, metrics = train_ppo(
    task, settings, seed, budget["total_timesteps"], budget["eval_every_steps"], budget["eval_episodes"]
)
log.info(
    "expert best %.1f final %.1f in %.0f s", metrics["best_return"], metrics["final_return"], metrics["wall_time_s"]
)
artifacts.save_sb3_model(sm.output.model, model)
artifacts.save_json(
    sm.output.metrics, {"task": task, "seed": seed, **metrics, "config": settings, "versions": provenance()}
)
