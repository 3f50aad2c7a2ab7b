# Dense PPO experts (for BC datasets), θ0 per task and seed, and the random-policy reference return.


rule train_expert:
    output:
        model="results/experts/{task}/seed{seed}/model.zip",
        metrics="results/experts/{task}/seed{seed}/metrics.json",
    log:
        "results/logs/train_expert/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_expert/{task}/seed{seed}.tsv"
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="30m",
        mem_mb=2000,
    params:
        settings=lambda w: settings(w, "network", "ppo", "expert"),
    script:
        "../workflow_scripts/train_expert.py"


rule initial_parameters:
    output:
        "results/init/{task}/seed{seed}.pt",
    log:
        "results/logs/initial_parameters/{task}/seed{seed}.log",
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
        "results/random/{task}.json",
    log:
        "results/logs/evaluate_random_policy/{task}.log",
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="5m",
        mem_mb=1000,
    params:
        episodes=config["analysis"]["random_policy_episodes"],
    script:
        "../workflow_scripts/evaluate_random_policy.py"
