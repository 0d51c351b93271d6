"""The demo's picture, drawn from what Prometheus stored during the run (instant and range
queries over its HTTP API, then gnuplot): the refill-path hit rates per class of the python3
workload under each profile, its mapped, resident and live bytes over time, and every
workload's memory syscalls as the allocator counted them beside what the kernel saw (eBPF)."""
import os
import subprocess

RATE = "5s"   # 5 scrapes at the demo's 1 s interval
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")


def _q(text):
    """A string as a gnuplot double-quoted literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hit_rates(prom, pid, at):
    """{class label: {path: share}} and the paths by their objects, from the counters at `at`."""
    result, err = prom.query(f'sum by (class, size, path) (hakmem_refill_objects_total{{pid="{pid}"}})', at)
    if result is None:
        raise RuntimeError(f"hit rates of pid {pid}: {err}")
    per_class, totals = {}, {}
    for s in result:
        m, v = s["metric"], float(s["value"][1])
        key = (int(m["class"]), m.get("size", "?"))
        per_class.setdefault(key, {})[m["path"]] = v
        totals[m["path"]] = totals.get(m["path"], 0.0) + v
    shares = {}
    for (cls, size), paths in sorted(per_class.items()):
        total = sum(paths.values())
        if total > 0:
            shares[f"{size}"] = {p: v / total for p, v in paths.items()}
    return shares, sorted(totals, key=lambda p: -totals[p])


def series(prom, expr, start, end):
    """[(labels, [(seconds since start, value)])] of a range query, step 1 s."""
    result, err = prom.query_range(expr, start, end, 1)
    if result is None:
        raise RuntimeError(f"{expr}: {err}")
    return [(s["metric"], [(float(t) - start, float(v)) for t, v in s["values"]]) for s in result]


def draw(prom, workloads, start, end, out_png, work_dir):
    """Writes out_png; returns the eBPF note shown in the syscall panel ('' when it was up)."""
    data = os.path.join(work_dir, "chart")
    os.makedirs(data, exist_ok=True)
    pythons = [w for w in workloads if w.kind == "python3"]
    name_of = {str(w.pid): w.name for w in workloads}
    color_of = {str(w.pid): COLORS[i % len(COLORS)] for i, w in enumerate(workloads)}
    plots = []

    # One path order (and so one colour per path) for both histograms: by share over both.
    rates = {w.pid: hit_rates(prom, w.pid, end) for w in pythons}
    weight = {}
    for shares, _ in rates.values():
        for by_path in shares.values():
            for p, v in by_path.items():
                weight[p] = weight.get(p, 0.0) + v
    paths = sorted(weight, key=lambda p: -weight[p])
    for w in pythons:
        shares = rates[w.pid][0]
        path = os.path.join(data, f"hits-{w.pid}.tsv")
        with open(path, "w") as f:
            f.write("size\t" + "\t".join(paths) + "\n")
            for size, by_path in shares.items():
                f.write(size + "\t" + "\t".join(f"{by_path.get(p, 0.0):.6f}" for p in paths) + "\n")
        plots.append(f"""set title {_q(f'Refill-path hit rate by class (block size, bytes): {w.name}')}
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.8
set yrange [0:1]
set format y "%.0f%%"
set ytics ("0%%" 0, "25%%" 0.25, "50%%" 0.5, "75%%" 0.75, "100%%" 1)
set xtics rotate by -60 font ",8"
set key outside right top vertical font ",9"
set xlabel ""
{f"plot for [i=2:{len(paths) + 1}] {_q(path)} using i:xtic(1) title columnheader(i)" if paths else 'plot NaN title "no refills counted"'}
unset style
set style data lines
set autoscale y
unset ytics
set ytics
set format y "%g"
set xtics norotate font ""
""")

    pids = "|".join(str(w.pid) for w in pythons)
    lines = []
    for family, label, style in (("hakmem_mapped_bytes", "mapped", "dt 2 lw 1.5"),
                                 ("hakmem_resident_bytes", "resident", "dt 1 lw 1"),
                                 ("hakmem_live_bytes", "live", "dt 1 lw 3")):
        for labels, points in series(prom, f'sum by (pid) ({family}{{pid=~"{pids}"}}) / 1048576', start, end):
            path = os.path.join(data, f"mem-{label}-{labels['pid']}.tsv")
            _write_points(path, points)
            lines.append(f"{_q(path)} using 1:2 with lines {style} lc rgb {_q(color_of.get(labels['pid'], 'black'))} "
                         f"title {_q(name_of.get(labels['pid'], labels['pid']) + ' ' + label)}")
    plots.append("set title \"python3: bytes mapped, resident (touched, not discarded) and live, MiB\"\n"
                 "set xlabel \"seconds\"\nset key outside right top vertical font \",9\"\n"
                 "plot " + ", \\\n     ".join(lines or ["NaN title \"no data\""]) + "\n")

    up, _ = prom.query("hakmem_bpf_up", end)
    note = ""
    if not up or all(float(s["value"][1]) == 0 for s in up):
        reason = up[0]["metric"].get("reason", "unknown") if up else "no hakmem_bpf_up"
        note = f"eBPF down ({reason}): kernel counts absent"
    all_pids = "|".join(str(w.pid) for w in workloads)
    lines = []
    for family, who, style in (("hakmem_os_calls_total", "allocator", "dt 1 lw 2.5"),
                               ("hakmem_bpf_syscalls_total", "kernel", "dt 2 lw 1.5")):
        expr = f'sum by (pid) (rate({family}{{pid=~"{all_pids}"}}[{RATE}]))'
        for labels, points in series(prom, expr, start, end):
            path = os.path.join(data, f"os-{who}-{labels['pid']}.tsv")
            _write_points(path, points)
            lines.append(f"{_q(path)} using 1:2 with lines {style} lc rgb {_q(color_of.get(labels['pid'], 'black'))} "
                         f"title {_q(name_of.get(labels['pid'], labels['pid']) + ' ' + who)}")
    title = ("Memory syscalls per second (log scale): the allocator's own count, and every such call the kernel "
             "saw (eBPF; the rest are the program's and its libraries')")
    plots.append(f"set title {_q(title + (' - ' + note if note else ''))}\n"
                 "set xlabel \"seconds\"\nset key outside right top vertical font \",9\"\nset logscale y\n"
                 "plot " + ", \\\n     ".join(lines or ["NaN title \"no data\""]) + "\nunset logscale y\n")

    script = os.path.join(data, "chart.gp")
    with open(script, "w") as f:
        f.write(f"set terminal pngcairo noenhanced size 1500,1500 font \"DejaVu Sans,10\"\nset output {_q(out_png)}\n"
                "set multiplot layout 4,1 title \"HAKMEM live demo: two profiles side by side\" font \",14\"\n"
                "set grid ytics\n" + "".join(plots) + "unset multiplot\n")
    r = subprocess.run(["gnuplot", script], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"gnuplot failed: {r.stderr.strip()[-500:]}")
    return note


def _write_points(path, points):
    with open(path, "w") as f:
        for t, v in points:
            f.write(f"{t:.1f}\t{v:.6g}\n")
