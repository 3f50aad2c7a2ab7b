# Dense PPO experts (their rollouts become the BC datasets), θ0 per task and seed, and the random-policy return
# that normalised performance is measured against.


EXPERT_OUTPUTS = [
    *[layout.EXPERT.file("model.zip", task=t, seed=s) for t, s in task_seed_pairs()],
    *[layout.THETA0(task=t, seed=s) for t, s in task_seed_pairs()],
    *[layout.RANDOM_RETURN(task=t) for t in TASKS],
]


rule train_expert:
    output:
        model=layout.EXPERT.file("model.zip"),
        metrics=layout.EXPERT.file("metrics.json"),
    log:
        "results/logs/train_expert/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_expert/{task}/seed{seed}.tsv"
    priority: CHAIN_START_PRIORITY
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="6h",
        mem_mb=2000,
    params:
        settings=lambda w: settings(w, "network", "ppo", "expert"),
    script:
        "../workflow_scripts/train_expert.py"


rule initial_parameters:
    output:
        layout.THETA0(),
    log:
        "results/logs/initial_parameters/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/initial_parameters/{task}/seed{seed}.tsv"
    priority: CHAIN_START_PRIORITY
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="5m",
        mem_mb=1000,
    params:
        settings=lambda w: settings(w, "network", "ppo"),
    script:
        "../workflow_scripts/initial_parameters.py"


rule evaluate_random_policy:
    output:
        layout.RANDOM_RETURN(),
    log:
        "results/logs/evaluate_random_policy/{task}.log",
    benchmark:
        "results/benchmarks/evaluate_random_policy/{task}.tsv"
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="15m",
        mem_mb=1000,
    params:
        episodes=config["analysis"]["random_policy_episodes"],
    script:
        "../workflow_scripts/evaluate_random_policy.py"
