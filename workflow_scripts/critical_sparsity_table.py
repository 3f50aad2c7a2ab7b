"""Critical sparsity per task and paradigm, from the tidy IMP table."""

from rltickets.workflow import start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_job(sm)

from rltickets import artifacts
from rltickets.analysis import IMP_COLUMNS, critical_sparsity

table = critical_sparsity(artifacts.load_csv(sm.input[0], IMP_COLUMNS), sm.params.threshold)
log.info("\n%s", table.to_string())
artifacts.save_csv(sm.output[0], table)
