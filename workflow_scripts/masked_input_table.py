"""Training curves of the masked-input agents (full observation vs pruned inputs removed) as one tidy table."""

from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job
from rltickets.representations.tables import masked_input_curves

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

table = masked_input_curves({"full": list(sm.input.full), "pruned": list(sm.input.pruned)})
log.info("%d rows", len(table))
artifacts.save_csv(sm.output[0], table)
