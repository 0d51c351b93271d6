// Writes a telemetry segment file as `hakmemctl snapshot` saves it (snapshot_to_json), for
// seeds/snapshot_json/: usage: snapshot_seed SEGMENT > seed.json. The segment comes from a
// process under LD_PRELOAD (run_fuzz.sh copies such segments into the reader's seeds); the
// committed seeds are two such documents (python3, single- and multi-threaded, the second
// under HAKMEM_PROFILE=low-memory), compacted and cut to a few classes, an older document
// without the members added since, the two round-trip regressions, and cache_stats.json:
// single.json as ABI 1.5 with non-zero span cache and thread-cache members (made by hand: the
// allocator then wrote zeros).
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "reader/segment_reader.h"
#include "snapshot_json.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s SEGMENT\n", argv[0]);
    return 2;
  }
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  hakmem::reader::ReadResult r = hakmem::reader::read_segment_fd(fd);
  close(fd);
  if (!r.ok()) {
    fprintf(stderr, "%s: %s\n", argv[1], r.error->message.c_str());
    return 1;
  }
  printf("%s\n", hakmem::ctl::snapshot_text(hakmem::ctl::snapshot_to_json(r.snapshot)).c_str());
  return 0;
}
