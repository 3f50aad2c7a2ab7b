"""The dense DQN run of one task and repetition (Exp 1-3 prune from it): 500 episodes without early stopping,
mask snapshots per P, checkpoints at each e_prune and where early stopping would have fired."""

from rltickets.earlybird.dqn import DqnAgent
from rltickets.earlybird.masks import pack_checkpoints
from rltickets.earlybird.runs import run_dense
from rltickets.infra import artifacts, tensors
from rltickets.infra.settings import DqnProtocol, DqnTask, DqnVariant
from rltickets.infra.training_jobs import provenance, start_training_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_training_job(sm)

task, rep = sm.wildcards.task, int(sm.wildcards.rep)
settings, protocol = sm.params.settings, sm.params.protocol
agent = DqnAgent(task, DqnTask.from_dict(settings["task"]), DqnVariant.from_dict(settings["dqn"]), seed=rep)
result = run_dense(agent, DqnProtocol.from_dict(protocol))
run_log = result["log"]
log.info(
    "%d episodes in %.0f s; early stopping %s at episode %d; unpruned test return %.1f",
    run_log["episodes"],
    run_log["wall_time_s"],
    "reached" if run_log["reached_early_stopping"] else "never reached (capped)",
    run_log["early_stopping_episode"],
    run_log["unpruned_test"]["test_return"],
)
tensors.save_tensors(sm.output.theta0, result["theta0"])
tensors.save_tensors(sm.output.checkpoints, pack_checkpoints(result["checkpoints"]))
artifacts.save_npz(sm.output.masks, **result["masks"])
artifacts.save_json(
    sm.output.log,
    {**run_log, "task": task, "repetition": rep, "config": settings, "protocol": protocol, "versions": provenance()},
)
