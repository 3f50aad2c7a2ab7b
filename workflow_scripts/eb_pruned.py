"""One Exp 2 (rewind to θ0) or Exp 3 (fine-tune from θ_e) run: prune the dense run at e_prune by P, retrain, test."""

from rltickets.workflow import provenance, start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.earlybird import WINNING_TICKET, episode_label, run_pruned, unpack_checkpoint

task, rep, episode = sm.wildcards.task, int(sm.wildcards.rep), sm.wildcards.episode
mode = {"exp2_rewind": "rewind", "exp3_finetune": "finetune"}[sm.wildcards.experiment]
settings, protocol = sm.params.settings, sm.params.protocol
theta0 = artifacts.load_tensors(sm.input.theta0)
checkpoints = artifacts.load_tensors(sm.input.checkpoints)
dense_log = artifacts.load_json(sm.input.log, required_keys=("checkpoint_epsilons", "early_stopping_episode"))
label = episode_label(episode)
try:
    pruned_from = unpack_checkpoint(checkpoints, label)
    winning_source = unpack_checkpoint(checkpoints, WINNING_TICKET)
    epsilon_at_prune = dense_log["checkpoint_epsilons"][label]
except KeyError as err:
    raise artifacts.artifact_error(sm.input.checkpoints, f"no checkpoint for e_prune {episode} ({err})") from err
mask, metrics = run_pruned(
    task,
    settings["task"],
    settings["dqn"],
    seed=rep,
    protocol=protocol,
    mode=mode,
    fraction=float(sm.wildcards.fraction),
    theta0=theta0,
    pruned_from=pruned_from,
    winning_source=winning_source,
    epsilon_at_prune=epsilon_at_prune,
    finetune_epsilon=sm.params.finetune_epsilon,
)
metrics.update(
    task=task, repetition=rep, prune_label=episode, dense_early_stopping_episode=dense_log["early_stopping_episode"]
)
log.info(
    "%s P=%s e=%s: %d episodes, test %.1f",
    mode,
    sm.wildcards.fraction,
    episode,
    metrics["train_episodes"],
    metrics["test_return"],
)
artifacts.save_tensors(sm.output.mask, mask)
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
