"""Mean return of a uniform-random policy: R_random of the normalised performance."""

from rltickets.workflow import start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.training import random_policy_return

task, episodes = sm.wildcards.task, sm.params.episodes
mean, std = random_policy_return(task, seed=0, n_episodes=episodes)
log.info("random policy on %s: %.2f ± %.2f over %d episodes", task, mean, std, episodes)
artifacts.save_json(sm.output[0], {"task": task, "mean_return": mean, "std_return": std, "episodes": episodes})
