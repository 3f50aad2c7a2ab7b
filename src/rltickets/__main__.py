import os
import sys

from .cli import main

try:
    code = main()
    sys.stdout.flush()
except BrokenPipeError:
    # The reader stopped early (`progress | head`): not an error of ours. Point stdout at devnull so the
    # interpreter's final flush does not raise again (the recipe of Python's `signal` documentation).
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 1
sys.exit(code)
