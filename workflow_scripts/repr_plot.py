"""The figures of the representation stage; `params.figure` names which one (they share this entry point)."""

from rltickets.workflow import start_job

sm = snakemake  # noqa: F821 - injected by Snakemake's script directive
start_job(sm)

import pandas as pd

from rltickets import artifacts
from rltickets import plots_representations as plots

tables = {name: pd.read_csv(path) for name, path in sm.input.items()}
figure = {
    "input_masks": lambda: plots.plot_input_masks(tables["input_mask"]),
    "state_dims": lambda: plots.plot_state_dims(tables["input_mask"]),
    "masked_input": lambda: plots.plot_masked_input(tables["curves"]),
    "init_rescaling": lambda: plots.plot_init_rescaling(tables["input_mask"], tables["consistency"]),
}[sm.params.figure]()
artifacts.save_figure(figure, sm.output.png, sm.output.pdf)
