"""The minimal-task-representation stage: input-layer masks, supervised IMP on digits, init rescaling [R], and
dense agents on the observation with the pruned inputs removed."""
