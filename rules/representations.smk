# Minimal task representations (PROTOCOL §1.5): input-layer masks, gridworld, digits, masked-input agents.
# The gridworld's ticket chains are the ordinary imp_level jobs; this file adds supervised IMP on digits, the
# init-rescaled chains ([R]), dense agents on the observation with pruned inputs removed, tables and figures.


rule supervised_initial_parameters:
    output:
        "results/supervised/{dataset}/seed{seed}/init.pt",
    log:
        "results/logs/supervised_initial_parameters/{dataset}/seed{seed}.log",
    wildcard_constraints:
        dataset="digits|mnist",
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="5m",
        mem_mb=2000,
    params:
        settings=SUPERVISED_SETTINGS,
    script:
        "../workflow_scripts/repr_supervised_init.py"


rule supervised_level:
    input:
        unpack(supervised_level_inputs),
    output:
        masks="results/supervised/{dataset}/seed{seed}/level{level}/mask.pt",
        weights="results/supervised/{dataset}/seed{seed}/level{level}/weights.pt",
        metrics="results/supervised/{dataset}/seed{seed}/level{level}/metrics.json",
    log:
        "results/logs/supervised_level/{dataset}/seed{seed}/level{level}.log",
    benchmark:
        "results/benchmarks/supervised_level/{dataset}/seed{seed}/level{level}.tsv"
    wildcard_constraints:
        dataset="digits|mnist",
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="30m",
        mem_mb=2000,
    params:
        settings=SUPERVISED_SETTINGS,
        prune_fraction=config["imp"]["prune_fraction"],
    script:
        "../workflow_scripts/repr_supervised_level.py"


rule rescaled_initial_parameters:
    input:
        "results/init/{task}/seed{seed}.pt",
    output:
        "results/representations/init_{rescaling}/theta0/{task}/seed{seed}.pt",
    log:
        "results/logs/rescaled_initial_parameters/{rescaling}/{task}/seed{seed}.log",
    wildcard_constraints:
        rescaling="layer_equalized",
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="5m",
        mem_mb=1000,
    params:
        prune_critic=config["imp"]["prune_critic"],
    script:
        "../workflow_scripts/repr_rescale_init.py"


# The same job as imp_level (same script), on the rescaled θ0 and in its own folder tree.
rule rescaled_imp_level:
    input:
        unpack(rescaled_level_inputs),
    output:
        masks="results/representations/init_{rescaling}/chain/{paradigm}/{task}/seed{seed}/level{level}/mask.pt",
        weights="results/representations/init_{rescaling}/chain/{paradigm}/{task}/seed{seed}/level{level}/weights.pt",
        metrics="results/representations/init_{rescaling}/chain/{paradigm}/{task}/seed{seed}/level{level}/metrics.json",
    log:
        "results/logs/rescaled_imp_level/{rescaling}/{paradigm}/{task}/seed{seed}/level{level}.log",
    benchmark:
        "results/benchmarks/rescaled_imp_level/{rescaling}/{paradigm}/{task}/seed{seed}/level{level}.tsv"
    wildcard_constraints:
        rescaling="layer_equalized",
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="30m",
        mem_mb=2000,
    params:
        settings=lambda w: settings(w, *LEVEL_SECTIONS[w.paradigm]),
        imp=IMP_LEVEL_SETTINGS,
    script:
        "../workflow_scripts/imp_level.py"


rule masked_input_agent:
    input:
        unpack(masked_input_inputs),
    output:
        "results/representations/masked_input/{task}/{variant}/seed{seed}/metrics.json",
    log:
        "results/logs/masked_input_agent/{task}/{variant}/seed{seed}.log",
    benchmark:
        "results/benchmarks/masked_input_agent/{task}/{variant}/seed{seed}.tsv"
    wildcard_constraints:
        variant="full|pruned",
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="30m",
        mem_mb=2000,
    params:
        settings=lambda w: settings(w, "network", "ppo"),
        budget=canonical({k: v for k, v in MASKED_INPUT.items() if k != "level"}),
        level=MASKED_INPUT["level"],
    script:
        "../workflow_scripts/repr_masked_input_agent.py"


rule input_mask_table:
    input:
        unpack(input_mask_inputs),
    output:
        report(
            "results/tables/input_mask.csv",
            category="Minimal task representations",
            caption="../report/repr_input_mask_table.rst",
        ),
    log:
        "results/logs/input_mask_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=4000,
    params:
        run=RUN_DESCRIPTION,
        groups=["none", "supervised", *RESCALING["modes"]],
    script:
        "../workflow_scripts/repr_input_mask_table.py"


rule input_consistency_table:
    input:
        "results/tables/input_mask.csv",
    output:
        report(
            "results/tables/input_consistency.csv",
            category="Minimal task representations",
            caption="../report/repr_consistency_table.rst",
        ),
    log:
        "results/logs/input_consistency_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=4000,
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/repr_consistency_table.py"


rule masked_input_table:
    input:
        full=masked_input_metrics("full"),
        pruned=masked_input_metrics("pruned"),
    output:
        report(
            "results/tables/masked_input_curves.csv",
            category="Minimal task representations",
            caption="../report/repr_masked_input_table.rst",
        ),
    log:
        "results/logs/masked_input_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/repr_masked_input_table.py"


rule representation_claims_table:
    input:
        input_mask="results/tables/input_mask.csv",
        consistency="results/tables/input_consistency.csv",
    output:
        report(
            "results/tables/representation_claims.csv",
            category="Minimal task representations",
            caption="../report/repr_claims_table.rst",
        ),
    log:
        "results/logs/representation_claims_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
        mem_mb=4000,
    params:
        run=RUN_DESCRIPTION,
        grid_task=GRID_TASK,
        digits_task=SUPERVISED["dataset"],
    script:
        "../workflow_scripts/repr_claims_table.py"


rule plot_input_masks:
    input:
        input_mask="results/tables/input_mask.csv",
    output:
        png=report(
            "results/figures/repr_input_masks.png",
            category="Minimal task representations",
            caption="../report/repr_input_masks.rst",
        ),
        pdf="results/figures/repr_input_masks.pdf",
    log:
        "results/logs/plot_input_masks.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
        mem_mb=4000,
    params:
        run=RUN_DESCRIPTION,
        figure="input_masks",
    script:
        "../workflow_scripts/repr_plot.py"


rule plot_state_dims:
    input:
        input_mask="results/tables/input_mask.csv",
    output:
        png=report(
            "results/figures/repr_state_dims.png",
            category="Minimal task representations",
            caption="../report/repr_state_dims.rst",
        ),
        pdf="results/figures/repr_state_dims.pdf",
    log:
        "results/logs/plot_state_dims.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
        mem_mb=4000,
    params:
        run=RUN_DESCRIPTION,
        figure="state_dims",
    script:
        "../workflow_scripts/repr_plot.py"


rule plot_masked_input:
    input:
        curves="results/tables/masked_input_curves.csv",
    output:
        png=report(
            "results/figures/repr_masked_input.png",
            category="Minimal task representations",
            caption="../report/repr_masked_input.rst",
        ),
        pdf="results/figures/repr_masked_input.pdf",
    log:
        "results/logs/plot_masked_input.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
    params:
        run=RUN_DESCRIPTION,
        figure="masked_input",
    script:
        "../workflow_scripts/repr_plot.py"


rule plot_init_rescaling:
    input:
        input_mask="results/tables/input_mask.csv",
        consistency="results/tables/input_consistency.csv",
    output:
        png=report(
            "results/figures/repr_init_rescaling.png",
            category="Minimal task representations",
            caption="../report/repr_init_rescaling.rst",
        ),
        pdf="results/figures/repr_init_rescaling.pdf",
    log:
        "results/logs/plot_init_rescaling.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="5m",
        mem_mb=4000,
    params:
        run=RUN_DESCRIPTION,
        figure="init_rescaling",
    script:
        "../workflow_scripts/repr_plot.py"
