"""Roll out the expert and store (observation, expert action) pairs for behavioural cloning."""

from rltickets.workflow import start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.bc import collect_expert_dataset
from rltickets.training import make_ppo

task, seed, settings = sm.wildcards.task, int(sm.wildcards.seed), sm.params.settings
expert = make_ppo(task, settings, seed)
expert.policy.load_state_dict(artifacts.load_sb3_policy_weights(sm.input.expert))
data = collect_expert_dataset(expert, task, seed, settings["bc_data"]["n_transitions"])
log.info("%d transitions, expert episode return %.1f", len(data["actions"]), data["episode_returns"].mean())
artifacts.save_npz(sm.output[0], **data)
