# Disentangling baselines (PROTOCOL §1.4): leaf jobs derived from the ticket chain's mask at every level.
