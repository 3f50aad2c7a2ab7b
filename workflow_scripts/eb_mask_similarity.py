"""Exp 1: each repetition's mask-similarity matrix (1 − normalised Hamming), averaged over repetitions, per P."""

from rltickets.earlybird.masks import fraction_key, mean_similarity
from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
log = start_analysis_job(sm)

keys = ("episodes", *(f"masks_{fraction_key(p)}" for p in sm.params.fractions))
files = [artifacts.load_npz(path, required=keys) for path in sm.input.masks]
result = {}
for p in sm.params.fractions:
    episodes, matrix = mean_similarity(files, p)
    result[f"similarity_{fraction_key(p)}"] = matrix
    log.info("P=%g: %d masks, mean similarity %.3f", p, len(episodes), matrix.mean() if matrix.size else float("nan"))
artifacts.save_npz(sm.output[0], episodes=episodes, **result)
