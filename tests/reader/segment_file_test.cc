// The reader's file and process checks, and reading through a file descriptor: the
// file-level rejection reasons, io_error, names in a directory, liveness by start time.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "reader/process_liveness.h"
#include "reader/segment_file.h"
#include "reader/segment_reader.h"
#include "segment_builder.h"
#include "temp_dir_test.h"

namespace {

using namespace hakmem::reader;

class SegmentFileTest : public segtest::TempDirTest {
 protected:
  std::string reason_of(const OpenResult& r) {
    return r.ok() ? "ok" : std::string(reason_name(r.error->reason));
  }
};

TEST_F(SegmentFileTest, NamesAndListing) {
  EXPECT_EQ(segment_file_name(17), "hakmem.17");
  EXPECT_EQ(segment_pid("hakmem.17"), 17);
  for (const char* bad : {"hakmem.", "hakmem.017", "hakmem.-1", "hakmem.0", "hakmem.1x",
                          "hakmem.99999999999", "hakmem.2147483648", "other.12", "hakmem"})
    EXPECT_FALSE(segment_pid(bad).has_value()) << bad;
  write_file(path("hakmem.30"), {1});
  write_file(path("hakmem.4"), {1});
  write_file(path("notes.txt"), {1});
  std::vector<int> pids;
  std::string error;
  ASSERT_TRUE(list_segment_pids(dir_, &pids, &error));
  EXPECT_EQ(pids, (std::vector<int>{4, 30}));
  EXPECT_FALSE(list_segment_pids(dir_ + "/missing", &pids, &error));
  EXPECT_NE(error.find("missing"), std::string::npos);
}

TEST_F(SegmentFileTest, FileLevelRejections) {
  segtest::Segment s;
  write_file(path("hakmem.1"), s.bytes());
  EXPECT_EQ(reason_of(open_segment_file(path("hakmem.1"))), "ok");
  EXPECT_EQ(reason_of(open_segment_file(path("hakmem.2"))), "not_found");
  ASSERT_EQ(symlink(path("hakmem.1").c_str(), path("hakmem.3").c_str()), 0);
  EXPECT_EQ(reason_of(open_segment_file(path("hakmem.3"))), "symlink");
  ASSERT_EQ(mkdir(path("hakmem.4").c_str(), 0700), 0);
  EXPECT_EQ(reason_of(open_segment_file(path("hakmem.4"))), "not_regular_file");
  ASSERT_EQ(mkfifo(path("hakmem.5").c_str(), 0600), 0);
  EXPECT_EQ(reason_of(open_segment_file(path("hakmem.5"))), "not_regular_file");
  ASSERT_EQ(link(path("hakmem.1").c_str(), path("hakmem.6").c_str()), 0);
  EXPECT_EQ(reason_of(open_segment_file(path("hakmem.6"))), "hard_linked");
  ASSERT_EQ(unlink(path("hakmem.6").c_str()), 0);
  FileCheckOptions other;
  other.owner = getuid() + 1;
  EXPECT_EQ(reason_of(open_segment_file(path("hakmem.1"), other)), "owner_mismatch");
  write_file(path("hakmem.7"), {1, 2, 3});
  EXPECT_EQ(reason_of(open_segment_file(path("hakmem.7"))), "size_out_of_bounds");
  EXPECT_EQ(reason_of(open_segment_file(dir_ + "/" + std::string(300, 'n'))), "open_failed");
}

TEST_F(SegmentFileTest, IoErrorAndTruncationThroughTheFile) {
  segtest::Segment s;
  write_file(path("hakmem.1"), s.bytes());
  int wronly = open(path("hakmem.1").c_str(), O_WRONLY);
  ASSERT_GE(wronly, 0);
  ReadResult r = read_segment_fd(wronly);
  close(wronly);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->reason, Reason::kIoError);

  int fd = open(path("hakmem.1").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(truncate(path("hakmem.1").c_str(), 1000), 0);  // after the open: the writer shrank it
  r = read_segment_fd(fd);
  close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->reason, Reason::kTruncated);
}

// A writer that keeps bumping the generation: every reading either is whole or says unstable.
TEST_F(SegmentFileTest, GenerationMovingUnderTheReader) {
  segtest::Segment s;
  s.fill_counts();
  write_file(path("hakmem.1"), s.bytes());
  int rw = open(path("hakmem.1").c_str(), O_RDWR);
  ASSERT_GE(rw, 0);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (uint64_t g = 6; !stop.load(); g += 1) {
      if (pwrite(rw, &g, sizeof g, offsetof(hak_seg_header, generation)) != sizeof g) break;
    }
  });
  int fd = open(path("hakmem.1").c_str(), O_RDONLY);
  for (int i = 0; i < 50; ++i) {
    ReadResult r = read_segment_fd(fd);
    if (r.ok()) {
      EXPECT_EQ(r.snapshot.generation % 2, 0u);
      EXPECT_EQ(r.snapshot.classes[2].counters.allocs, s.expected_class_sum(2, 0));
    } else {
      EXPECT_EQ(r.error->reason, Reason::kUnstable) << r.error->to_string();
    }
  }
  stop = true;
  writer.join();
  close(fd);
  close(rw);
}

// A pid and its start time; judge_segment's tests hold segments against them.
TEST(Liveness, StartTimeAndOwnerByPid) {
  bool gone = true;
  std::optional<uint64_t> mine = process_start_ticks(getpid(), &gone);
  ASSERT_TRUE(mine.has_value());
  EXPECT_FALSE(gone);
  EXPECT_EQ(process_start_ticks(getpid()), mine);
  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  EXPECT_FALSE(process_start_ticks(child, &gone).has_value());
  EXPECT_TRUE(gone);
  EXPECT_FALSE(process_start_ticks(-1, &gone).has_value());
  EXPECT_TRUE(gone);
  EXPECT_EQ(process_uid(child), std::nullopt);
  EXPECT_EQ(process_uid(getpid()), getuid());
  EXPECT_GE(process_uptime_seconds(*mine), 0.0);
  EXPECT_EQ(liveness_name(Liveness::kPidReused), "pid_reused");
}

}  // namespace
