// `hakmemctl compare A B`: two readings (each a live pid or a snapshot file) side by side.
// Per class active in either, per refill path that supplied objects in either: the hit rate
// (share of the class's refilled objects) in A and in B and the difference B - A in
// percentage points. Where either reading has them (ABI minor 5), the classes whose
// thread-cache capacity or resize counts differ, and the span cache's hit rate in each. Then
// the HAKMEM_* settings whose values differ (or that only one has).
#include <iostream>
#include <map>

#include "args.h"
#include "commands.h"
#include "format.h"
#include "reader/names.h"
#include "reader/segment_file.h"
#include "target.h"

namespace hakmem::ctl {

namespace {

std::string signed_points(double d) {
  std::string s = d > 0 ? "+" : "";
  s += fixed(d, 1);
  return s;
}

// "62.5% (5 of 8)" of the span cache's hits among its lookups, "-" without minor-5 counts.
std::string span_hit_rate(const reader::Snapshot& s) {
  if (!s.has_cache_stats) return "-";
  uint64_t hits = s.process.span_cache_events[reader::kSpanCacheHIT];
  uint64_t lookups = hits + s.process.span_cache_events[reader::kSpanCacheMISS];
  if (lookups == 0) return "no lookups";
  return percent(100.0 * static_cast<double>(hits) / static_cast<double>(lookups)) + " (" + num(hits) + " of " +
         num(lookups) + ")";
}

void print_caches(const reader::Snapshot& a, const reader::Snapshot& b) {
  if (!a.has_cache_stats && !b.has_cache_stats) return;
  std::string resizes = slashed(reader::kCacheResizeNames);
  Table t({"class", "size", "A_cache_bytes", "B_cache_bytes", "A_" + resizes, "B_" + resizes}, "rr");
  for (std::size_t c = 0; c < reader::kNumClasses; ++c) {
    const reader::ClassStats& ca = a.classes[c];
    const reader::ClassStats& cb = b.classes[c];
    if (!ca.active() && !cb.active()) continue;
    std::string ra = a.has_cache_stats ? slashed(ca.cache_resizes) : "-";
    std::string rb = b.has_cache_stats ? slashed(cb.cache_resizes) : "-";
    std::string ka = a.has_cache_stats ? num(ca.cache_capacity_bytes()) : "-";
    std::string kb = b.has_cache_stats ? num(cb.cache_capacity_bytes()) : "-";
    if (ka == kb && ra == rb) continue;
    t.row({num(c), num(ca.size ? ca.size : cb.size), ka, kb, ra, rb});
  }
  std::cout << "\nthread-cache capacity that differs (bytes now; " << resizes << " since start)\n";
  t.print_or(std::cout, "  ", "(none)");
  std::cout << "\nspan cache hit rate\n  A " << span_hit_rate(a) << "\n  B " << span_hit_rate(b) << "\n";
}

}  // namespace

int cmd_compare(int argc, char** argv) {
  Args args(argc, argv, 0, {{"--dir", true}});
  args.expect_positional(2, 2, "A and B (each a pid or a snapshot file)");
  std::string dir = args.value("--dir").value_or(reader::default_segment_dir());
  Loaded a = load_target(dir, args.positional()[0]);
  Loaded b = load_target(dir, args.positional()[1]);
  for (const Loaded* l : {&a, &b}) {
    if (!l->ok()) {
      std::cerr << "hakmemctl compare: " << l->error << "\n";
      return kExitFailure;
    }
  }
  std::cout << "A: " << a.label << "\nB: " << b.label << "\n";

  Table t({"class", "size", "path", "A_hit_rate", "B_hit_rate", "diff_points", "A_objects", "B_objects"}, "rrl");
  for (std::size_t c = 0; c < reader::kNumClasses; ++c) {
    const reader::ClassStats& ca = a.snapshot.classes[c];
    const reader::ClassStats& cb = b.snapshot.classes[c];
    if (!ca.active() && !cb.active()) continue;
    for (std::size_t p = 0; p < reader::kNumPaths; ++p) {
      uint64_t oa = ca.counters.refill_objects[p], ob = cb.counters.refill_objects[p];
      if (oa == 0 && ob == 0) continue;
      double ra = ca.hit_rate_percent(p), rb = cb.hit_rate_percent(p);
      t.row({num(c), num(ca.size ? ca.size : cb.size), std::string(reader::kPathNames[p]), percent(ra),
             percent(rb), signed_points(rb - ra), num(oa), num(ob)});
    }
  }
  std::cout << "\nrefill-path hit rates (% of the class's refilled objects; diff = B - A)\n";
  t.print_or(std::cout, "  ", "(no refills in either)");

  print_caches(a.snapshot, b.snapshot);

  std::map<std::string, std::pair<std::string, std::string>> settings;
  const std::string absent = "(unset)";
  for (const reader::Setting& s : a.snapshot.settings) settings[s.name] = {s.value, absent};
  for (const reader::Setting& s : b.snapshot.settings) {
    auto it = settings.find(s.name);
    if (it == settings.end())
      settings[s.name] = {absent, s.value};
    else
      it->second.second = s.value;
  }
  Table d({"setting", "A", "B"}, "lll");
  for (const auto& [name, values] : settings) {
    if (values.first != values.second) d.row({printable(name), printable(values.first), printable(values.second)});
  }
  std::cout << "\nHAKMEM_* settings that differ\n";
  d.print_or(std::cout, "  ", "(none)");
  return kExitOk;
}

}  // namespace hakmem::ctl
