// judge_segment (reader/segment_judge.h): each verdict and reason, over files in a temporary
// directory named for processes that run (this one, its parent), that have exited (a reaped
// child) or that were replaced (this pid with another start time), under the three sets of
// options its callers use. Not covered: proc_unreadable and kUnknown need a /proc mounted with
// hidepid.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "reader/process_liveness.h"
#include "reader/segment_judge.h"
#include "segment_builder.h"
#include "temp_dir_test.h"

namespace {

using namespace hakmem::reader;

// The callers' options: hakmemd (monitor.cc), hakmemctl list (cmd_list.cc), the commands that
// read one pid (target.cc).
constexpr JudgeOptions kDaemon{.process_first = true, .owner_with_file = true, .require_active = true};
constexpr JudgeOptions kList{.owner_with_file = false};
constexpr JudgeOptions kRead{};

class SegmentJudgeTest : public segtest::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    bool gone = true;
    std::optional<uint64_t> ticks = process_start_ticks(getpid(), &gone);
    ASSERT_TRUE(ticks.has_value());
    me_ = getpid();
    my_start_ = *ticks;
    pid_t child = fork();
    if (child == 0) _exit(0);
    ASSERT_EQ(waitpid(child, nullptr, 0), child);
    dead_ = child;
  }
  std::string seg(int pid) const { return path("hakmem." + std::to_string(pid)); }
  // A valid segment claiming to be `header_pid`, started at `start`.
  segtest::Segment segment(int header_pid, uint64_t start) {
    segtest::Spec spec;
    spec.pid = header_pid;
    spec.start_time_ticks = start;
    segtest::Segment s(spec);
    s.fill_counts();
    return s;
  }
  void write(int pid, const std::vector<unsigned char>& b) { write_file(seg(pid), b); }
  void write_mine() { write(me_, segment(me_, my_start_).bytes()); }
  // "verdict reason" for short comparisons.
  std::string judged(int pid, const JudgeOptions& o) {
    Judgement j = judge_segment(dir_, pid, o);
    static const char* const kNames[] = {"live", "inactive", "rejected", "stale", "unknown", "gone"};
    std::string v = kNames[static_cast<int>(j.verdict)];
    return j.reason.empty() ? v : v + " " + j.reason;
  }

  int me_ = 0, dead_ = 0;
  uint64_t my_start_ = 0;
};

TEST_F(SegmentJudgeTest, LiveReadsTheContents) {
  segtest::Segment s = segment(me_, my_start_);
  write(me_, s.bytes());
  for (const JudgeOptions& o : {kDaemon, kList, kRead}) {
    Judgement j = judge_segment(dir_, me_, o);
    ASSERT_EQ(j.verdict, Verdict::kLive) << j.reason << " " << j.detail;
    EXPECT_EQ(j.process, Liveness::kLive);
    ASSERT_TRUE(j.snapshot.has_value());
    EXPECT_EQ(j.snapshot->classes[4].counters.allocs, s.expected_class_sum(4, 0));
    struct stat st;
    ASSERT_EQ(stat(seg(me_).c_str(), &st), 0);
    EXPECT_EQ(j.dev, st.st_dev);
    EXPECT_EQ(j.ino, st.st_ino);
    EXPECT_FALSE(j.file_error || j.contents_error);
  }
}

TEST_F(SegmentJudgeTest, NoFileIsGone) {
  for (const JudgeOptions& o : {kDaemon, kList, kRead}) EXPECT_EQ(judged(me_, o), "gone");
}

TEST_F(SegmentJudgeTest, PidReusedIsStale) {
  write(me_, segment(me_, my_start_ + 1).bytes());
  for (const JudgeOptions& o : {kDaemon, kList, kRead}) {
    Judgement j = judge_segment(dir_, me_, o);
    EXPECT_EQ(j.verdict, Verdict::kStale);
    EXPECT_EQ(j.reason, "pid_reused");
    EXPECT_EQ(j.process, Liveness::kPidReused);
    EXPECT_TRUE(j.snapshot.has_value());  // hakmemctl list shows its comm
  }
}

TEST_F(SegmentJudgeTest, ProcessGoneIsStale) {
  write(dead_, segment(dead_, 1).bytes());
  for (const JudgeOptions& o : {kDaemon, kList, kRead}) {
    Judgement j = judge_segment(dir_, dead_, o);
    EXPECT_EQ(j.verdict, Verdict::kStale);
    EXPECT_EQ(j.reason, "process_gone");
    EXPECT_EQ(j.process, Liveness::kGone);
  }
  // Contents that fail of a gone process: stale all the same, the failure kept.
  std::vector<unsigned char> bad = segment(dead_, 1).bytes();
  bad[0] ^= 0xff;
  write(dead_, bad);
  Judgement j = judge_segment(dir_, dead_, kList);
  EXPECT_EQ(j.verdict, Verdict::kStale);
  ASSERT_TRUE(j.contents_error.has_value());
  EXPECT_EQ(j.contents_error->reason, Reason::kBadMagic);
  EXPECT_EQ(judged(dead_, kDaemon), "stale process_gone");
}

TEST_F(SegmentJudgeTest, AFileThatFailsItsChecks) {
  // Of a live process: rejected under every option set.
  write(dead_, segment(me_, my_start_).bytes());
  ASSERT_EQ(link(seg(dead_).c_str(), seg(me_).c_str()), 0);
  for (const JudgeOptions& o : {kDaemon, kList, kRead}) {
    Judgement j = judge_segment(dir_, me_, o);
    EXPECT_EQ(j.verdict, Verdict::kRejected);
    EXPECT_EQ(j.reason, "hard_linked");
    ASSERT_TRUE(j.file_error.has_value());
    EXPECT_FALSE(j.snapshot.has_value());
  }
  // Of a gone process: only hakmemd judges the process first (stale, removed if plain).
  ASSERT_EQ(unlink(seg(me_).c_str()), 0);
  ASSERT_EQ(unlink(seg(dead_).c_str()), 0);
  write(me_, segment(me_, my_start_).bytes());
  ASSERT_EQ(symlink(seg(me_).c_str(), seg(dead_).c_str()), 0);
  EXPECT_EQ(judged(dead_, kList), "rejected symlink");
  EXPECT_EQ(judged(dead_, kRead), "rejected symlink");
  EXPECT_EQ(judged(dead_, kDaemon), "stale process_gone");
}

TEST_F(SegmentJudgeTest, ContentsThatFail) {
  const int parent = getppid();  // runs, as this user
  write(parent, segment(me_, my_start_).bytes());
  for (const JudgeOptions& o : {kDaemon, kList, kRead}) {
    Judgement j = judge_segment(dir_, parent, o);
    EXPECT_EQ(j.verdict, Verdict::kRejected);
    EXPECT_EQ(j.reason, "bad_pid");
    ASSERT_TRUE(j.contents_error.has_value());
    EXPECT_NE(j.detail.find("named for pid " + std::to_string(parent)), std::string::npos) << j.detail;
  }
}

TEST_F(SegmentJudgeTest, NotPublishedIsInactive) {
  write(me_, std::vector<unsigned char>(segment(me_, my_start_).bytes().size(), 0));
  for (const JudgeOptions& o : {kDaemon, kList, kRead}) {
    Judgement j = judge_segment(dir_, me_, o);
    EXPECT_EQ(j.verdict, Verdict::kInactive);
    ASSERT_TRUE(j.contents_error.has_value());
    EXPECT_EQ(j.contents_error->reason, Reason::kNotPublished);
  }
}

TEST_F(SegmentJudgeTest, FlagsMatterOnlyWithRequireActive) {
  for (uint32_t flags : {0u, HAK_SEG_FLAG_ACTIVE | HAK_SEG_FLAG_ABANDONED}) {
    segtest::Segment s = segment(me_, my_start_);
    s.header().flags = flags;
    write(me_, s.bytes());
    EXPECT_EQ(judged(me_, kDaemon), "inactive") << flags;
    EXPECT_EQ(judged(me_, kList), "live") << flags;
    EXPECT_EQ(judged(me_, kRead), "live") << flags;
  }
}

TEST_F(SegmentJudgeTest, OwnerWithTheFileOrLast) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give a file away";
  const uid_t other = 65534;
  write_mine();
  ASSERT_EQ(chown(seg(me_).c_str(), other, other), 0);
  for (const JudgeOptions& o : {kDaemon, kList, kRead}) EXPECT_EQ(judged(me_, o), "rejected owner_mismatch");
  // With the file checks, the owner comes before the contents; last, after them.
  std::vector<unsigned char> bad = segment(me_, my_start_).bytes();
  bad[0] ^= 0xff;
  write(me_, bad);
  EXPECT_EQ(judged(me_, kDaemon), "rejected owner_mismatch");
  EXPECT_EQ(judged(me_, kRead), "rejected owner_mismatch");
  EXPECT_EQ(judged(me_, kList), "rejected bad_magic");
  write(me_, segment(me_, my_start_ + 1).bytes());
  EXPECT_EQ(judged(me_, kDaemon), "rejected owner_mismatch");
  EXPECT_EQ(judged(me_, kList), "stale pid_reused");
  // A gone process has no owner to match.
  write(dead_, segment(dead_, 1).bytes());
  ASSERT_EQ(chown(seg(dead_).c_str(), other, other), 0);
  for (const JudgeOptions& o : {kDaemon, kList, kRead}) EXPECT_EQ(judged(dead_, o), "stale process_gone");
}

}  // namespace
