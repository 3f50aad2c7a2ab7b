"""One Exp 2 (rewind to θ0) or Exp 3 (fine-tune from θ_e) run: prune the dense run's weights at e_prune by P,
train with early stopping, test greedily."""

from rltickets.earlybird.dqn import DqnAgent
from rltickets.earlybird.masks import WINNING_TICKET, episode_label, unpack_checkpoint
from rltickets.earlybird.runs import PrunedRun, run_pruned
from rltickets.infra import artifacts, tensors
from rltickets.infra.settings import DqnProtocol, DqnTask, DqnVariant
from rltickets.infra.training_jobs import provenance, start_training_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_training_job(sm)

w = sm.wildcards
task, rep, episode = w.task, int(w.rep), w.episode
settings, protocol = sm.params.settings, sm.params.protocol
theta0 = tensors.load_tensors(sm.input.theta0)
checkpoints = tensors.load_tensors(sm.input.checkpoints)
dense_log = artifacts.load_json(sm.input.log, required_keys=("checkpoint_epsilons", "early_stopping_episode"))
label = episode_label(episode)
try:
    pruned_from = unpack_checkpoint(checkpoints, label)
    winning_source = unpack_checkpoint(checkpoints, WINNING_TICKET)
    epsilon_at_prune = dense_log["checkpoint_epsilons"][label]
except KeyError as err:
    raise artifacts.artifact_error(sm.input.checkpoints, f"no checkpoint for e_prune {episode} ({err})") from err
agent = DqnAgent(task, DqnTask.from_dict(settings["task"]), DqnVariant.from_dict(settings["dqn"]), seed=rep)
mode = {"exp2_rewind": "rewind", "exp3_finetune": "finetune"}[w.experiment]
run = PrunedRun(mode, float(w.fraction), sm.params.finetune_epsilon)
mask, metrics = run_pruned(
    agent, DqnProtocol.from_dict(protocol), run, theta0, pruned_from, epsilon_at_prune, winning_source
)
metrics.update(
    task=task, repetition=rep, prune_label=episode, dense_early_stopping_episode=dense_log["early_stopping_episode"]
)
log.info(
    "%s P=%s e=%s: %d episodes, test %.1f", mode, w.fraction, episode, metrics["train_episodes"], metrics["test_return"]
)
tensors.save_tensors(sm.output.mask, mask)
artifacts.save_json(
    sm.output.metrics,
    {
        **metrics,
        "config": settings,
        "protocol": protocol,
        "finetune_epsilon": sm.params.finetune_epsilon,
        "versions": provenance(),
    },
)
