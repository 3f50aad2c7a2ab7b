"""One figure of the ticket against its baselines (the rule's {figure} wildcard says which)."""

from rltickets.baselines.plots import plot_conditions, plot_conditions_task_average, plot_summary_panels
from rltickets.baselines.tables import CONDITIONS_COLUMNS
from rltickets.infra import artifacts
from rltickets.infra.jobs import start_analysis_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_analysis_job(sm)

table = artifacts.load_csv(sm.input[0], CONDITIONS_COLUMNS)
figure = sm.wildcards.figure
if figure == "conditions_toy_envs":
    fig = plot_conditions(table, sm.params.toy_tasks, "Mask accounts for most of the ticket effect: toy envs")
elif figure == "fig1_conditions_continuous":
    fig = plot_conditions_task_average(
        table, sm.params.continuous_tasks, "Fig. 1 right: ticket vs baselines, continuous control (normalised)"
    )
else:
    fig = plot_summary_panels(table, "CartPole-v1", "bc", "CartPole PD (PPO expert): summary")
artifacts.save_figure(fig, sm.output.png, sm.output.pdf)
