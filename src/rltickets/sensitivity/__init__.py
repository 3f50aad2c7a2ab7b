"""The claim-1 sensitivity study: arms as variant ticket chains, and the table and figure of BC vs RL."""
