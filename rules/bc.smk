# Behavioural-cloning datasets: the expert's own deterministic rollouts.


rule collect_bc_dataset:
    input:
        expert="results/experts/{task}/seed{seed}/model.zip",
    output:
        "results/bc_data/{task}/seed{seed}.npz",
    log:
        "results/logs/collect_bc_dataset/{task}/seed{seed}.log",
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="10m",
        mem_mb=2000,
    params:
        settings=lambda w: settings(w, "network", "bc_data"),
    script:
        "../workflow_scripts/collect_bc_dataset.py"
