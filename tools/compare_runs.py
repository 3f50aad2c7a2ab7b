"""Compare the results of two workflow folders: tensors bit for bit, tables and metrics value for value.

    python tools/compare_runs.py RUN_A RUN_B

Each argument is a folder holding a results/ folder (a clone the pipeline ran in, or a scratch copy). Logs,
benchmark records, timing fields and the bytes of figures are left out. Prints every difference and
`identical=<yes|no> files=<n>` as the last line; exits 1 when the runs differ.
"""

import argparse
import sys

from rltickets.infra.compare import compare_results, result_files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_a")
    parser.add_argument("run_b")
    args = parser.parse_args()
    differences = compare_results(args.run_a, args.run_b)
    for line in differences:
        print(line)
    print(f"identical={'no' if differences else 'yes'} files={len(result_files(args.run_a))}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
