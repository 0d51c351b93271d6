// `hakmemctl top`: the stat view, live, for every process with a segment (or the pids
// given): each refresh reads every segment once and lists (process, class) rows sorted by the
// operations (allocs + frees) since the previous refresh, the busiest first; at the first
// refresh, since the process started. The screen is cleared with a plain ANSI sequence when
// stdout is a terminal; otherwise refreshes follow each other (scripts, tests).
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "args.h"
#include "commands.h"
#include "format.h"
#include "reader/names.h"
#include "reader/process_liveness.h"
#include "reader/segment_file.h"
#include "target.h"

namespace hakmem::ctl {

namespace {

struct Row {
  int pid;
  std::string comm;
  const reader::ClassStats* cls;
  uint64_t delta_ops;
};

// The path that supplied most of the class's refilled objects, with its hit rate.
std::string top_path(const reader::ClassStats& c) {
  std::size_t best = reader::kNumPaths;
  for (std::size_t p = 0; p < reader::kNumPaths; ++p) {
    if (c.counters.refill_objects[p] != 0 &&
        (best == reader::kNumPaths || c.counters.refill_objects[p] > c.counters.refill_objects[best]))
      best = p;
  }
  if (best == reader::kNumPaths) return "-";
  return std::string(reader::kPathNames[best]) + " " + percent(c.hit_rate_percent(best));
}

void sleep_seconds(double s) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(s);
  ts.tv_nsec = static_cast<long>((s - static_cast<double>(ts.tv_sec)) * 1e9);
  while (nanosleep(&ts, &ts) != 0) {
  }
}

}  // namespace

int cmd_top(int argc, char** argv) {
  Args args(argc, argv, 0, {{"--interval", true}, {"--iterations", true}, {"--rows", true}, {"--dir", true}});
  double interval = args.number("--interval", 2.0, 0.0, 3600.0);
  long iterations = args.integer("--iterations", 0, 0, 1000000000L);
  long max_rows = args.integer("--rows", 40, 1, 100000);
  std::string dir = args.value("--dir").value_or(reader::default_segment_dir());
  std::vector<int> only;
  for (const std::string& p : args.positional()) only.push_back(parse_pid(p));
  bool tty = isatty(STDOUT_FILENO) != 0;

  // Previous ops per (pid, start time, class): a recycled pid starts from zero again.
  std::map<std::tuple<int, uint64_t, unsigned>, uint64_t> previous;
  for (long i = 0; iterations == 0 || i < iterations; ++i) {
    if (i > 0) sleep_seconds(interval);
    std::vector<int> pids = only;
    if (pids.empty()) {
      std::string error;
      if (!reader::list_segment_pids(dir, &pids, &error)) {
        std::cerr << "hakmemctl top: " << error << "\n";
        return kExitFailure;
      }
    }
    std::vector<Loaded> loaded;
    std::vector<std::string> problems;
    for (int pid : pids) {
      Loaded l = load_pid(dir, pid);
      if (l.ok())
        loaded.push_back(std::move(l));
      else if (!only.empty())
        problems.push_back(l.error);  // asked for by pid: say why it is missing
    }
    std::map<std::tuple<int, uint64_t, unsigned>, uint64_t> now;
    std::vector<Row> rows;
    for (const Loaded& l : loaded) {
      for (const reader::ClassStats& c : l.snapshot.classes) {
        if (!c.active()) continue;
        auto key = std::make_tuple(l.snapshot.pid, l.snapshot.start_time_ticks, c.index);
        uint64_t before = previous.count(key) ? previous[key] : 0;
        now[key] = c.ops();
        rows.push_back({l.snapshot.pid, printable(l.snapshot.comm), &c, c.ops() >= before ? c.ops() - before : 0});
      }
    }
    previous = std::move(now);
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      if (a.delta_ops != b.delta_ops) return a.delta_ops > b.delta_ops;
      return a.cls->ops() > b.cls->ops();
    });
    if (tty) std::cout << "\033[H\033[2J";
    std::cout << "hakmemctl top  refresh " << (i + 1) << "  " << loaded.size() << " process"
              << (loaded.size() == 1 ? "" : "es") << "  every " << fixed(interval, 1) << " s  (" << dir
              << ")\n";
    for (const std::string& p : problems) std::cout << "  " << p << "\n";
    Table t({"pid", "comm", "class", "size", "ops_since_last", "allocs", "frees", "remote_frees",
             "live_bytes", "top_refill_path"}, "ll       l");
    for (std::size_t r = 0; r < rows.size() && r < static_cast<std::size_t>(max_rows); ++r) {
      const reader::ClassStats& c = *rows[r].cls;
      t.row({std::to_string(rows[r].pid), rows[r].comm, num(c.index), num(c.size), num(rows[r].delta_ops),
             num(c.counters.allocs), num(c.counters.frees), num(c.counters.remote_frees),
             bytes_human(c.live_bytes()), top_path(c)});
    }
    t.print_or(std::cout, "", "  (no class activity)");
    std::cout << std::flush;
  }
  return kExitOk;
}

}  // namespace hakmem::ctl
