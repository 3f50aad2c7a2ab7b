"""Per task and paradigm: the highest sparsity up to which the mean best performance stays near dense."""

from rltickets.imp.tables import IMP_COLUMNS, critical_sparsity
from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

table = critical_sparsity(artifacts.load_csv(sm.input[0], IMP_COLUMNS), sm.params.threshold)
log.info("\n%s", table.to_string())
artifacts.save_csv(sm.output[0], table)
