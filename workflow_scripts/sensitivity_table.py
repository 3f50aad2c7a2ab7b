"""The claim-1 sensitivity table: per task, arm, metric and threshold, BC's critical level minus RL's, per seed."""

from rltickets.imp.tables import imp_table
from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job
from rltickets.sensitivity.arms import arm_pairings
from rltickets.sensitivity.tables import sensitivity_table, verdicts
from rltickets.summary.claims import ClaimRules

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

p = sm.params
table = sensitivity_table(
    imp_table(sm.input.metrics, sm.input.random),
    p.tasks,
    arm_pairings(p.arms),
    p.metrics,
    p.thresholds,
    ClaimRules(min_n=p.min_n, test=p.test, alpha=p.alpha),
)
log.info("\n%s", verdicts(table).to_string())
artifacts.save_csv(sm.output[0], table)
