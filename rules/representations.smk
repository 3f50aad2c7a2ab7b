# Minimal task representations (PROTOCOL §1.5): input-layer masks, gridworld, digits, masked-input agents.
