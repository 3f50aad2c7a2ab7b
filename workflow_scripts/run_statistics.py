"""Per-rule jobs, wall and CPU time and peak memory from every benchmark: file of the run, and their figure."""

from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job
from rltickets.summary.plots import plot_run_statistics
from rltickets.summary.run_statistics import run_statistics

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

table = run_statistics(sm.params.benchmark_dir)
log.info("\n%s", table.to_string())
artifacts.save_csv(sm.output.table, table)
artifacts.save_figure(plot_run_statistics(table), sm.output.png, sm.output.pdf)
