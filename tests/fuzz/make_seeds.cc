// Writes the fuzzer's synthesized seeds into a directory: a segment of this reader's own
// version, newer minors (longer records, more records, longer arrays, a larger header), the
// minor before the latest additions, and a few near misses (odd generation, truncated, another
// major), so the fuzzer starts from every branch of the checks. The seeds from real processes
// are added by run_fuzz.sh.
#include <cstdio>
#include <string>

#include "segment_builder.h"

namespace {

bool save(const std::string& dir, const char* name, segtest::Segment& s) {
  std::string path = dir + "/" + name;
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  bool ok = fwrite(s.bytes().data(), 1, s.bytes().size(), f) == s.bytes().size();
  return fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  bool ok = true;
  segtest::Spec small;
  small.slots = 1;  // small inputs mutate faster
  segtest::Segment base(small);
  base.fill_counts();
  ok &= save(dir, "synth-base", base);

  segtest::Spec newer = small;
  newer.minor = HAK_SEG_ABI_MINOR + 1;
  newer.extra_stride = 16;
  newer.extra_records = 1;
  newer.extra_entries = 1;
  newer.extra_header = 64;
  segtest::Segment grown(newer);
  grown.fill_counts();
  ok &= save(dir, "synth-newer-minor", grown);

  // The last minor before the span cache and resize counts (HAK_SEG_CACHES_GROW_MINOR): a
  // shorter process record, and caches[].cap not for readers.
  segtest::Spec minor4 = small;
  minor4.minor = HAK_SEG_CACHES_GROW_MINOR - 1;
  segtest::Segment before_growth(minor4);
  before_growth.fill_counts();
  ok &= save(dir, "synth-minor4", before_growth);

  segtest::Segment odd(small);
  odd.header().generation = 9;
  ok &= save(dir, "synth-odd-generation", odd);

  segtest::Spec major = small;
  major.major = HAK_SEG_ABI_MAJOR + 1;
  segtest::Segment other(major);
  ok &= save(dir, "synth-other-major", other);

  segtest::Segment cut(small);
  cut.bytes().resize(cut.bytes().size() / 2);
  ok &= save(dir, "synth-truncated", cut);
  if (!ok) perror(dir.c_str());
  return ok ? 0 : 1;
}
