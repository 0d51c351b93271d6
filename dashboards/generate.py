#!/usr/bin/python3
"""Writes dashboards/*.json from their definitions in dashboards/generator/ (one per dashboard,
one definition per panel). --check writes nothing and exits 1 naming each committed file that
differs from what the definitions generate (tests/dashboards runs it). Standard library only."""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from generator import DASHBOARDS  # noqa: E402


def render(module):
    return json.dumps(module.build(), indent=2, sort_keys=False) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare, do not write")
    args = ap.parse_args()
    stale = []
    for name, module in DASHBOARDS.items():
        path = os.path.join(HERE, name)
        text = render(module)
        if args.check:
            try:
                with open(path) as f:
                    if f.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w") as f:
                f.write(text)
    if stale:
        print("stale (run dashboards/generate.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
