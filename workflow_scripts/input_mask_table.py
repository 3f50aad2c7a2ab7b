"""Tidy input-mask table: per chain, level and input unit, the surviving fraction of its first-layer weights."""

from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job
from rltickets.representations.tables import input_mask_table

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

# The supervised chains use the default init: they are rows of the `none` setting.
paths = {group: list(sm.input[group]) for group in sm.params.groups}
paths["none"] = paths["none"] + paths.pop("supervised")
table = input_mask_table(paths)
log.info("%d rows, tasks %s", len(table), sorted(table["task"].unique()))
artifacts.save_csv(sm.output[0], table)
