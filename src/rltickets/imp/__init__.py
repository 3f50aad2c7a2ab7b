"""The IMP stage: the ticket chains, one job per level, and their tables and Fig. 2."""
