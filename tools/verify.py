"""Rerun a small pinned slice of the committed results and compare it bit for bit (`make verify`).

The reference is docs/results/verify.json, written by `make docs` (tools/update_docs.py): tensor hashes of
mask.pt / weights.pt and the key metrics of a few IMP levels (by default RL, CartPole-v1, seed 0, levels 0-2),
with the run's config files beside it. The slice is trained again in a scratch copy of the workflow (a temporary
folder, or --workdir) with those config files and compared.

Prints "bit-identical" (exit 0) or "differs: <files>" (exit 1); exit 2 when there is no reference yet, 3 when
the rerun itself failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rltickets.infra.artifacts import load_json
from rltickets.infra.verify import describe_machine, differences, record_of, rerun


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default="docs/results/verify.json", type=Path)
    parser.add_argument("--workdir", type=Path, help="where to rerun (kept); default: a temporary folder")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    if not args.reference.exists():
        print(
            f"{args.reference}: no reference to verify against. It is written by `make docs` (tools/update_docs.py) "
            "from a finished run; results committed before it existed have none.",
            file=sys.stderr,
        )
        return 2
    reference = load_json(args.reference, ("slice", "configfiles", "files", "metrics"))
    print(f"reference: {args.reference}, slice {reference['slice']}, configs {reference['configfiles']}")
    print(f"reference machine: {describe_machine(reference.get('machine'))}")
    with tempfile.TemporaryDirectory(prefix="rltickets-verify-") as scratch:
        workdir = args.workdir or Path(scratch) / "workflow"
        root, proc = rerun(args.reference, workdir, args.cores)
        if proc.returncode != 0:
            print(
                f"the rerun failed (snakemake exit {proc.returncode}) in {root}:\n{proc.stderr[-3000:]}",
                file=sys.stderr,
            )
            return 3
        found = differences(reference, record_of(root, reference["slice"]))
        rerun_machine = load_json(root / next(iter(reference["metrics"]))).get("versions", {}).get("cpu")
    print(f"rerun machine: {describe_machine(rerun_machine)}")
    if found:
        print(f"differs: {', '.join(found)}")
        return 1
    print(f"bit-identical: {len(reference['files'])} tensor files and {len(reference['metrics'])} metrics records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
