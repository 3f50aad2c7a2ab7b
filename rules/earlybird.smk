# Early-Bird tickets in DQN (PROTOCOL §2, the thesis): mask snapshots, retrain / fine-tune runs, EB Exploit.
