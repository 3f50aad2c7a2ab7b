# Behavioural-cloning datasets: the expert's own deterministic rollouts (or, for a variant chain whose arm changes
# `bc_data`, its base task's expert's rollouts under the variant's `bc_data`).


BC_OUTPUTS = [layout.BC_DATASET(task=t, seed=s) for t, s in task_seed_pairs()]


rule collect_bc_dataset:
    input:
        expert=expert_model,
    output:
        layout.BC_DATASET(),
    log:
        "results/logs/collect_bc_dataset/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/collect_bc_dataset/{task}/seed{seed}.tsv"
    priority: CHAIN_START_PRIORITY
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="30m",
        mem_mb=2000,
    params:
        settings=dataset_settings,
    script:
        "../workflow_scripts/collect_bc_dataset.py"
