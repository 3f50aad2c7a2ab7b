"""The shared dense DQN run of one (task, repetition): Exp 1's mask snapshots, Exp 2/3's checkpoints, references."""

from rltickets.workflow import provenance, start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.earlybird import pack_checkpoints, run_dense

task, rep = sm.wildcards.task, int(sm.wildcards.rep)
settings, protocol = sm.params.settings, sm.params.protocol
result = run_dense(
    task,
    settings["task"],
    settings["dqn"],
    seed=rep,
    protocol=protocol,
    prune_fractions=protocol["prune_fractions"],
    prune_episodes=protocol["prune_episodes"],
)
run_log = result["log"]
log.info(
    "%d episodes in %.0f s; early stopping %s at episode %d; unpruned test return %.1f",
    run_log["episodes"],
    run_log["wall_time_s"],
    "reached" if run_log["reached_early_stopping"] else "never reached (capped)",
    run_log["early_stopping_episode"],
    run_log["unpruned_test"]["test_return"],
)
artifacts.save_tensors(sm.output.theta0, result["theta0"])
artifacts.save_tensors(sm.output.checkpoints, pack_checkpoints(result["checkpoints"]))
artifacts.save_npz(sm.output.masks, **result["masks"])
artifacts.save_json(
    sm.output.log,
    {**run_log, "task": task, "repetition": rep, "config": settings, "protocol": protocol, "versions": provenance()},
)
