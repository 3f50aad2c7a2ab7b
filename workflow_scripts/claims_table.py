"""The claims of docs/protocol.md §3 with effect, 95% t-interval, exact test, n, k of n and verdict:
results/tables/claims.csv."""

from rltickets.baselines.tables import CONDITIONS_COLUMNS
from rltickets.earlybird.tables import RUN_COLUMNS, verdict_tolerances
from rltickets.imp.tables import IMP_COLUMNS
from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job
from rltickets.summary.claims import claims_table

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

inputs, params = sm.input, sm.params
table = claims_table(
    min_n=params.min_n,
    test=params.test,
    alpha=params.alpha,
    imp=artifacts.load_csv(inputs.imp, IMP_COLUMNS),
    critical_threshold=params.critical_threshold,
    conditions=artifacts.load_csv(inputs.conditions, CONDITIONS_COLUMNS) if "conditions" in inputs.keys() else None,
    mask_share_min_gap=params.mask_share_min_gap,
    representation_claims=artifacts.load_csv(
        inputs.representation_claims, ("claim", "effect", "n", "n_seeds", "p_greater", "p_less", "n_positive")
    ),
    earlybird_runs=(
        artifacts.load_csv(inputs.earlybird_runs, tuple(RUN_COLUMNS)) if "earlybird_runs" in inputs.keys() else None
    ),
    earlybird_bounds=params.earlybird_bounds,
    earlybird_tolerances=verdict_tolerances(params.earlybird_verdict),
    earlybird_existence=params.earlybird_existence,
)
log.info("\n%s", table.to_string())
artifacts.save_csv(sm.output[0], table)
