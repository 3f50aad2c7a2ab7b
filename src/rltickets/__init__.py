"""rltickets: lottery tickets and Early-Bird tickets in deep RL, as a Snakemake pipeline's library."""
