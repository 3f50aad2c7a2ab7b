# Minimal task representations: input-layer masks, gridworld, digits, masked-input agents. The gridworld's ticket
# chains are the ordinary imp_level jobs; this file adds supervised IMP on digits, the init-rescaled chains ([R]),
# dense agents on the observation with pruned inputs removed, and the tables and figures.
REPR = config["representations"]
REPR_SEEDS = REPR["seeds"]
GRID_TASK = REPR["grid_task"]
MASKED_INPUT = REPR["masked_input"]
RESCALING = REPR["init_rescaling"]
SUPERVISED = config["supervised"]
# What a supervised level reads (like IMP_LEVEL_SETTINGS, `imp.levels` only adds levels).
SUPERVISED_SETTINGS = canonical(
    {k: v for k, v in SUPERVISED.items() if k not in ("dataset",)}
)


# (paradigm, task, seed) of every main-chain ticket in the input-mask table: the configured tasks, the gridworld and
# the init-rescaling tasks (whose `none` setting is the main chain itself, θ0 unchanged).
REPRESENTATION_CHAINS = sorted(
    {(p, t, s) for p in PARADIGMS for t, s in task_seed_pairs()}
    | {(p, GRID_TASK, s) for p in PARADIGMS for s in REPR_SEEDS if GRID_TASK}
    | {
        (p, t, s)
        for p in RESCALING["paradigms"]
        for t in RESCALING["tasks"]
        for s in REPR_SEEDS
    }
)
# The input-mask table's level metrics, keyed by init rescaling (`none` = the main chain) plus the supervised chains.
INPUT_MASK_INPUTS = {
    "none": [
        layout.IMP_LEVEL.file("metrics.json", paradigm=p, task=t, seed=s, level=k)
        for p, t, s in REPRESENTATION_CHAINS
        for k in LEVELS
    ],
    "supervised": [
        layout.SUPERVISED_LEVEL.file(
            "metrics.json", dataset=SUPERVISED["dataset"], seed=s, level=k
        )
        for s in REPR_SEEDS
        for k in LEVELS
    ],
    **{
        mode: [
            layout.RESCALED_LEVEL.file(
                "metrics.json", rescaling=mode, paradigm=p, task=t, seed=s, level=k
            )
            for p in RESCALING["paradigms"]
            for t in RESCALING["tasks"]
            for s in REPR_SEEDS
            for k in LEVELS
        ]
        for mode in RESCALING["modes"]
    },
}
REPRESENTATION_OUTPUTS = [
    layout.INPUT_MASK_TABLE(),
    layout.INPUT_CONSISTENCY_TABLE(),
    layout.REPRESENTATION_CLAIMS_TABLE(),
    *layout.INPUT_MASKS_FIGURE.all_files(),
    *layout.STATE_DIMS_FIGURE.all_files(),
    *layout.INIT_RESCALING_FIGURE.all_files(),
    *(
        [layout.MASKED_INPUT_TABLE(), *layout.MASKED_INPUT_FIGURE.all_files()]
        if GRID_TASK
        else []
    ),
]


rule supervised_initial_parameters:
    output:
        layout.SUPERVISED_THETA0(),
    log:
        "results/logs/supervised_initial_parameters/{dataset}/seed{seed}.log",
    benchmark:
        "results/benchmarks/supervised_initial_parameters/{dataset}/seed{seed}.tsv"
    wildcard_constraints:
        dataset=layout.SUPERVISED_THETA0.constraints["dataset"],
    priority: CHAIN_START_PRIORITY
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="2m",
        mem_mb=2000,
    params:
        settings=SUPERVISED_SETTINGS,
    script:
        "../workflow_scripts/supervised_initial_parameters.py"


rule supervised_level:
    input:
        unpack(supervised_level_inputs),
    output:
        masks=layout.SUPERVISED_LEVEL.file("mask.pt"),
        weights=layout.SUPERVISED_LEVEL.file("weights.pt"),
        metrics=layout.SUPERVISED_LEVEL.file("metrics.json"),
    log:
        "results/logs/supervised_level/{dataset}/seed{seed}/level{level}.log",
    benchmark:
        "results/benchmarks/supervised_level/{dataset}/seed{seed}/level{level}.tsv"
    wildcard_constraints:
        dataset=layout.SUPERVISED_LEVEL.constraints["dataset"],
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="30m",
        mem_mb=2000,
    params:
        settings=SUPERVISED_SETTINGS,
        prune_fraction=config["imp"]["prune_fraction"],
    script:
        "../workflow_scripts/supervised_level.py"


rule rescaled_initial_parameters:
    input:
        layout.THETA0(),
    output:
        layout.RESCALED_THETA0(),
    log:
        "results/logs/rescaled_initial_parameters/{rescaling}/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/rescaled_initial_parameters/{rescaling}/{task}/seed{seed}.tsv"
    wildcard_constraints:
        rescaling=layout.RESCALED_THETA0.constraints["rescaling"],
    priority: CHAIN_START_PRIORITY
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="2m",
        mem_mb=1000,
    params:
        prune_critic=config["imp"]["prune_critic"],
    script:
        "../workflow_scripts/rescaled_initial_parameters.py"


rule observation_statistics:
    input:
        dataset=layout.BC_DATASET(),
    output:
        layout.OBSERVATION_STATISTICS(),
    log:
        "results/logs/observation_statistics/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/observation_statistics/{task}/seed{seed}.tsv"
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="2m",
        mem_mb=1000,
    script:
        "../workflow_scripts/observation_statistics.py"


# The same jobs as imp_level (same script), on the rescaled θ0 and in their own folder tree; no baselines.
for job in LEVEL_JOBS["rescaled_imp_level"]:

    rule:
        name:
            job.name
        input:
            unpack(rescaled_level_job_inputs(job.seeds)),
        output:
            **level_job_outputs(layout.RESCALED_LEVEL, job),
        log:
            f"results/logs/{job.name}/{{rescaling}}/{{paradigm}}/{{task}}/level{{level}}.log",
        benchmark:
            f"results/benchmarks/{job.name}/{{rescaling}}/{{paradigm}}/{{task}}/level{{level}}.tsv"
        wildcard_constraints:
            **job.wildcard_constraints,
            rescaling=layout.RESCALED_LEVEL.constraints["rescaling"],
        conda:
            "../envs/rl.yaml"
        resources:
            runtime="6h",
            mem_mb=4000,
        params:
            seeds=job.seeds,
            conditions=job.conditions,
            settings=level_settings,
            imp=IMP_LEVEL_SETTINGS,
        script:
            "../workflow_scripts/imp_level.py"


rule masked_input_agent:
    input:
        # The pruned variant reads the RL ticket's mask at `masked_input.level` (θ0 checks its names and shapes).
        unpack(
            lambda w: (
                {}
                if w.variant == "full"
                else {
                    "masks": layout.IMP_LEVEL.file(
                        "mask.pt",
                        paradigm="rl",
                        task=w.task,
                        seed=w.seed,
                        level=MASKED_INPUT["level"],
                    ),
                    "theta0": layout.THETA0(task=w.task, seed=w.seed),
                }
            )
        ),
    output:
        layout.MASKED_INPUT_RUN(),
    log:
        "results/logs/masked_input_agent/{task}/{variant}/seed{seed}.log",
    benchmark:
        "results/benchmarks/masked_input_agent/{task}/{variant}/seed{seed}.tsv"
    wildcard_constraints:
        variant=layout.MASKED_INPUT_RUN.constraints["variant"],
    conda:
        "../envs/rl.yaml"
    resources:
        runtime="2h",
        mem_mb=2000,
    params:
        settings=lambda w: settings(w, "network", "ppo"),
        budget=canonical({k: v for k, v in MASKED_INPUT.items() if k != "level"}),
        level=MASKED_INPUT["level"],
    script:
        "../workflow_scripts/masked_input_agent.py"


rule input_mask_table:
    input:
        **INPUT_MASK_INPUTS,
    output:
        report(
            layout.INPUT_MASK_TABLE(),
            category="Minimal task representations",
            caption="../report/repr_input_mask_table.rst",
        ),
    log:
        "results/logs/input_mask_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="20m",
        mem_mb=4000,
    params:
        run=RUN_DESCRIPTION,
        groups=["none", "supervised", *RESCALING["modes"]],
    script:
        "../workflow_scripts/input_mask_table.py"


rule input_consistency_table:
    input:
        layout.INPUT_MASK_TABLE(),
    output:
        report(
            layout.INPUT_CONSISTENCY_TABLE(),
            category="Minimal task representations",
            caption="../report/repr_consistency_table.rst",
        ),
    log:
        "results/logs/input_consistency_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="20m",
        mem_mb=4000,
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/input_consistency_table.py"


rule masked_input_table:
    input:
        full=[
            layout.MASKED_INPUT_RUN(task=GRID_TASK, variant="full", seed=s)
            for s in REPR_SEEDS
        ],
        pruned=[
            layout.MASKED_INPUT_RUN(task=GRID_TASK, variant="pruned", seed=s)
            for s in REPR_SEEDS
        ],
    output:
        report(
            layout.MASKED_INPUT_TABLE(),
            category="Minimal task representations",
            caption="../report/repr_masked_input_table.rst",
        ),
    log:
        "results/logs/masked_input_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=2000,
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/masked_input_table.py"


rule representation_claims_table:
    input:
        input_mask=layout.INPUT_MASK_TABLE(),
        consistency=layout.INPUT_CONSISTENCY_TABLE(),
    output:
        report(
            layout.REPRESENTATION_CLAIMS_TABLE(),
            category="Minimal task representations",
            caption="../report/repr_claims_table.rst",
        ),
    log:
        "results/logs/representation_claims_table.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=4000,
    params:
        run=RUN_DESCRIPTION,
        grid_task=GRID_TASK,
        digits_task=SUPERVISED["dataset"],
        min_n=config["analysis"]["claims_min_n"],
        test=config["analysis"]["claims_test"],
        alpha=config["analysis"]["claims_alpha"],
    script:
        "../workflow_scripts/representation_claims_table.py"


rule plot_input_masks:
    input:
        input_mask=layout.INPUT_MASK_TABLE(),
    output:
        png=report(
            layout.INPUT_MASKS_FIGURE.file("png"),
            category="Minimal task representations",
            caption="../report/repr_input_masks.rst",
        ),
        pdf=layout.INPUT_MASKS_FIGURE.file("pdf"),
    log:
        "results/logs/plot_input_masks.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=4000,
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/plot_input_masks.py"


rule plot_state_dims:
    input:
        input_mask=layout.INPUT_MASK_TABLE(),
    output:
        png=report(
            layout.STATE_DIMS_FIGURE.file("png"),
            category="Minimal task representations",
            caption="../report/repr_state_dims.rst",
        ),
        pdf=layout.STATE_DIMS_FIGURE.file("pdf"),
    log:
        "results/logs/plot_state_dims.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=4000,
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/plot_state_dims.py"


rule plot_masked_input:
    input:
        curves=layout.MASKED_INPUT_TABLE(),
    output:
        png=report(
            layout.MASKED_INPUT_FIGURE.file("png"),
            category="Minimal task representations",
            caption="../report/repr_masked_input.rst",
        ),
        pdf=layout.MASKED_INPUT_FIGURE.file("pdf"),
    log:
        "results/logs/plot_masked_input.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=2000,
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/plot_masked_input.py"


rule plot_init_rescaling:
    input:
        input_mask=layout.INPUT_MASK_TABLE(),
        consistency=layout.INPUT_CONSISTENCY_TABLE(),
    output:
        png=report(
            layout.INIT_RESCALING_FIGURE.file("png"),
            category="Minimal task representations",
            caption="../report/repr_init_rescaling.rst",
        ),
        pdf=layout.INIT_RESCALING_FIGURE.file("pdf"),
    log:
        "results/logs/plot_init_rescaling.log",
    conda:
        "../envs/analysis.yaml"
    resources:
        runtime="10m",
        mem_mb=4000,
    params:
        run=RUN_DESCRIPTION,
    script:
        "../workflow_scripts/plot_init_rescaling.py"
