"""The uniform-random policy's mean return on one task: R_random of normalised performance."""

from rltickets.experts.random_policy import random_policy_return
from rltickets.infra import artifacts
from rltickets.infra.training_jobs import start_training_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_training_job(sm)

task, episodes = sm.wildcards.task, sm.params.episodes
mean, std = random_policy_return(task, seed=0, n_episodes=episodes)
log.info("random policy on %s: %.2f ± %.2f over %d episodes", task, mean, std, episodes)
artifacts.save_json(sm.output[0], {"task": task, "mean_return": mean, "std_return": std, "episodes": episodes})
