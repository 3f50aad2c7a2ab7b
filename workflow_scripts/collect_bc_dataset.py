"""Roll out the expert of one task and seed: the (observation, expert action) pairs its BC students learn from."""

from rltickets.bc.dataset import collect_expert_dataset
from rltickets.core.ppo import make_ppo
from rltickets.infra import artifacts, tensors
from rltickets.infra.settings import TaskSettings
from rltickets.infra.training_jobs import start_training_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_training_job(sm)

task, seed, settings = sm.wildcards.task, int(sm.wildcards.seed), TaskSettings.from_dict(sm.params.settings)
expert = make_ppo(task, settings, seed)
expert.policy.load_state_dict(tensors.load_sb3_policy_weights(sm.input.expert))
bc_data = settings.need("bc_data")
data = collect_expert_dataset(expert, task, seed, bc_data.n_transitions, bc_data.action_noise)
log.info(
    "%d transitions, action noise %g, episode return %.1f",
    len(data["actions"]),
    bc_data.action_noise,
    data["episode_returns"].mean(),
)
artifacts.save_npz(sm.output[0], **data)
