#!/usr/bin/env python3
"""Check that every quoted #include of src/ and daemon/ keeps to the layers of src/README.md.

What it checks. The layer table (the markdown table between `<!-- layers: begin -->` and
`<!-- layers: end -->` in src/README.md; columns stack | rank | layer | path) places each file:
a file belongs to the layer whose path (a folder or a single file) is the longest prefix of its
own path. Every .h/.cc/.def/.c file under src/ and daemon/ must be placed (`*.in` templates are
not scanned). An include is allowed when its target is in the includer's own layer, or in a
layer of lower rank whose stack is the includer's stack or `shared`. So a file never includes
upwards, across into another stack, or into a peer (a layer of the same rank). Inside one
layer, the includes between modules form no cycle: a module is a file stem within a folder
(foo.h + foo.cc = module dir/foo); module A depends on module B when any file of A includes a
file of B.

Why. A layer then depends only on what is below it: it can be read, tested and changed with
the layers above it unbuilt, and the order of the table is the order to read the code in.

How an include "x.h" is resolved, first existing file wins (as the compiler's -iquote/-I
search would; the build's include paths are the union of these):
  1. the including file's own directory;
  2. src/;  3. src/include/;  4. daemon/;
  5. the including file's layer folder (when its layer is a folder).
Angle-bracket includes are system headers and are not checked. An include that resolves to
no file is reported, unless it names a header the build generates (GENERATED below).

Reading a failure. Each violation is one line `path:line: what (layer A rank N -> layer B
rank M)`, then a summary. An upward, peer or cross-stack include means the code is in the
wrong layer or the dependency should be turned around (a callback, or the shared piece moved
down). A cycle lists the modules around it and each include that closes it. A file `in no
layer` needs a folder of the table (or a row). Exit status: 0 clean, 1 violations, 2 the
table or the arguments are unusable.
"""
import argparse
import os
import re
import sys
from collections import defaultdict
from typing import NamedTuple

SCANNED_DIRS = ("src", "daemon")
EXTENSIONS = (".h", ".cc", ".def", ".c")
INCLUDE_ROOTS = ("src", "src/include", "daemon")  # steps 2-4 of the docstring's order
GENERATED = {
    "version.h",  # daemon/hakmemd/version.h.in, configured into the build tree by CMake
}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
BEGIN, END = "<!-- layers: begin -->", "<!-- layers: end -->"


class Layer(NamedTuple):
    stack: str
    rank: int
    name: str
    path: str

    def __str__(self):
        return f"layer {self.name} rank {self.rank}"


def fatal(message):
    print(f"check_layers: {message}", file=sys.stderr)
    sys.exit(2)


def read_table(path):
    """The table's rows, as Layers; exits 2 when the table is missing or malformed."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        fatal(f"{path}: {e.strerror}")
    if BEGIN not in text or END not in text.split(BEGIN, 1)[1]:
        fatal(f"{path}: no layer table between {BEGIN} and {END}")
    layers = []
    for line in text.split(BEGIN, 1)[1].split(END, 1)[0].splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] == "stack" or set(cells[0]) <= set("-: "):
            continue  # the header, its --- row, blank lines
        stack, rank, name, where = cells
        if not rank.isdigit():
            fatal(f"{path}: layer {name}: rank {rank!r} is not a number")
        layers.append(Layer(stack, int(rank), name, where.rstrip("/")))
    for field in ("name", "path"):
        seen = [getattr(l, field) for l in layers]
        if len(set(seen)) != len(seen):
            fatal(f"{path}: a layer {field} appears twice in the table")
    if not layers:
        fatal(f"{path}: the layer table has no rows")
    return layers


def layer_of(path, layers):
    """The layer whose path is the longest prefix of `path` (whole components), or None."""
    best = None
    for l in layers:
        if (path == l.path or path.startswith(l.path + "/")) and (
                best is None or len(l.path) > len(best.path)):
            best = l
    return best


def scanned_files(root):
    files = []
    for top in SCANNED_DIRS:
        for d, subdirs, names in os.walk(os.path.join(root, top)):
            subdirs.sort()
            for name in sorted(names):
                if name.endswith(EXTENSIONS):  # so `*.in` templates are never scanned
                    files.append(os.path.relpath(os.path.join(d, name), root).replace(os.sep, "/"))
    return sorted(files)


def resolve(root, includer, name, layer):
    bases = [os.path.dirname(includer), *INCLUDE_ROOTS]
    if layer and os.path.isdir(os.path.join(root, layer.path)):
        bases.append(layer.path)
    for base in bases:
        target = os.path.normpath(os.path.join(base, name)).replace(os.sep, "/")
        if os.path.isfile(os.path.join(root, target)):
            return target
    return None


def module(path):
    return os.path.splitext(path)[0]


def verdict(src, dst):
    """The kind of violation an include from layer src into layer dst is, or None if allowed."""
    if src == dst:
        return None
    # Ranks order the layers of one stack; `shared` lies under every stack.
    comparable = dst.stack == src.stack or "shared" in (src.stack, dst.stack)
    if comparable and dst.rank > src.rank:
        return "upward include"
    if comparable and dst.rank == src.rank:
        return "peer include"
    if dst.stack not in (src.stack, "shared"):
        return "cross-stack include"
    return None


def cycles(edges):
    """One violation per knot (strongly connected set) of modules: a shortest cycle through
    its first module, and the include of each step."""
    graph = {m: set() for edge in edges for m in edge}
    for a, b in edges:
        graph[a].add(b)

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    reached = {m: reach(m) for m in graph}
    done, found = set(), []
    for m in sorted(graph):
        if m in done or m not in reached[m]:
            continue
        knot = {n for n in reached[m] if m in reached[n]}
        done |= knot
        # Breadth-first from m, inside the knot, back to m: the shortest chain.
        parent, frontier = {}, [m]
        while m not in parent:
            nxt = []
            for a in frontier:
                for b in sorted(graph[a] & knot):
                    if b not in parent:
                        parent[b] = a
                        nxt.append(b)
            frontier = nxt
        chain = [m]
        while parent[chain[0]] != m:
            chain.insert(0, parent[chain[0]])
        chain.insert(0, m)
        steps = [edges[(a, b)] for a, b in zip(chain, chain[1:])]
        found.append((chain, steps, knot))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."),
                    help="the tree to check (default: this checkout)")
    ap.add_argument("--table", help="the file with the layer table (default: ROOT/src/README.md)")
    ap.add_argument("--list", action="store_true", help="print each file's layer first")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    layers = read_table(args.table or os.path.join(root, "src", "README.md"))
    files = scanned_files(root)
    if not files:
        fatal(f"{root}: no .h/.cc/.def/.c files under {' or '.join(SCANNED_DIRS)}/")
    placed = {f: layer_of(f, layers) for f in files}
    if args.list:
        for f in files:
            l = placed[f]
            print(f"{f}: {f'{l.name} (stack {l.stack}, rank {l.rank})' if l else '(no layer)'}")

    violations = []  # (path, line, kind, detail): printed as `path:line: kind detail`
    edges = {}  # (module A, module B) inside one layer -> the first include making the edge
    checked = 0
    for f in files:
        layer = placed[f]
        if layer is None:
            violations.append((f, 1, "in no layer", ": no path of the table covers this file"))
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as text:
            for n, line in enumerate(text, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                checked += 1
                name = m.group(1)
                target = resolve(root, f, name, layer)
                if target is None:
                    if name not in GENERATED:
                        violations.append((f, n, "unresolved include", f' of "{name}"'))
                    continue
                dst = layer_of(target, layers)
                if dst is None and target not in placed:
                    violations.append((f, n, "include outside every layer",
                                       f' of "{name}" ({target})'))
                if layer is None or dst is None:
                    continue  # an unplaced file is reported once, as itself
                kind = verdict(layer, dst)
                if kind:
                    stacks = f", stack {layer.stack} -> {dst.stack}" * (layer.stack != dst.stack)
                    violations.append((f, n, kind, f' of "{name}" ({layer} -> {dst}{stacks})'))
                elif layer == dst and module(f) != module(target):
                    edges.setdefault((module(f), module(target)), (f, n, name))

    for chain, steps, knot in cycles(edges):
        f, n, _ = steps[0]
        how = ", ".join(f'{p}:{k} "{x}"' for p, k, x in steps)
        more = f"; the knot is {len(knot)} modules: {', '.join(sorted(knot))}" * (
            len(knot) > len(chain) - 1)
        violations.append((f, n, "include cycle", f" in layer {placed[f].name}: "
                                 f"{' -> '.join(chain)} (by {how}){more}"))

    kinds = defaultdict(int)
    for f, n, kind, detail in sorted(violations):
        print(f"{f}:{n}: {kind}{detail}")
        kinds[kind] += 1
    detail = "".join(f"; {c} {k}" for k, c in sorted(kinds.items()))
    print(f"check_layers: {len(files)} files in {len(layers)} layers, {checked} quoted includes "
          f"checked: {len(violations)} violation(s){detail}")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
