# The ticket chain: one job per IMP level. Level k reads level k-1's mask and trained weights (recursion on
# the digits-only {level} wildcard), prunes, rewinds to θ0 and trains.


rule imp_level:
    input:
        unpack(imp_level_inputs),
    output:
        masks="results/imp/{paradigm}/{task}/seed{seed}/level{level}/mask.pt",
        weights="results/imp/{paradigm}/{task}/seed{seed}/level{level}/weights.pt",
        metrics="results/imp/{paradigm}/{task}/seed{seed}/level{level}/metrics.json",
    log:
        "results/logs/imp_level/{paradigm}/{task}/seed{seed}/level{level}.log",
    benchmark:
        "results/benchmarks/imp_level/{paradigm}/{task}/seed{seed}/level{level}.tsv"
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
