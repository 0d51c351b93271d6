// hakmem/stats_dir.h: the verdict on a stats directory that the allocator and hakmemd share,
// over hand-made struct stat values (every fault, the order of the checks, the sticky
// exemption) and over real directories.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "hakmem/stats_dir.h"

namespace {

constexpr uid_t kMe = 1000;

struct stat with(mode_t mode, uid_t owner) {
  struct stat st {};
  st.st_mode = mode;
  st.st_uid = owner;
  return st;
}

hak_stats_dir_fault judge(mode_t mode, uid_t owner, uid_t euid = kMe) {
  struct stat st = with(mode, owner);
  return hak_stats_dir_judge(&st, euid);
}

TEST(StatsDir, FitDirectories) {
  EXPECT_EQ(judge(S_IFDIR | 0700, kMe), HAK_STATS_DIR_OK);
  EXPECT_EQ(judge(S_IFDIR | 0755, kMe), HAK_STATS_DIR_OK);
  EXPECT_EQ(judge(S_IFDIR | 0755, 0), HAK_STATS_DIR_OK);           // root's
  EXPECT_EQ(judge(S_IFDIR | S_ISVTX | 0777, 0), HAK_STATS_DIR_OK);  // /dev/shm, /tmp
  EXPECT_EQ(judge(S_IFDIR | S_ISVTX | 0770, kMe), HAK_STATS_DIR_OK);
  EXPECT_EQ(judge(S_IFDIR | 0700, 0, 0), HAK_STATS_DIR_OK);  // root running as root
}

TEST(StatsDir, EachFault) {
  EXPECT_EQ(judge(S_IFLNK | 0777, kMe), HAK_STATS_DIR_SYMLINK);
  EXPECT_EQ(judge(S_IFREG | 0600, kMe), HAK_STATS_DIR_NOT_DIRECTORY);
  EXPECT_EQ(judge(S_IFIFO | 0600, kMe), HAK_STATS_DIR_NOT_DIRECTORY);
  EXPECT_EQ(judge(S_IFDIR | 0700, kMe + 1), HAK_STATS_DIR_FOREIGN_OWNER);
  EXPECT_EQ(judge(S_IFDIR | 0700, kMe, 0), HAK_STATS_DIR_FOREIGN_OWNER);  // root: not its own
  EXPECT_EQ(judge(S_IFDIR | 0777, kMe), HAK_STATS_DIR_OPEN_TO_OTHERS);
  EXPECT_EQ(judge(S_IFDIR | 0720, kMe), HAK_STATS_DIR_OPEN_TO_OTHERS);  // group-writable
  EXPECT_EQ(judge(S_IFDIR | 0702, 0), HAK_STATS_DIR_OPEN_TO_OTHERS);    // other-writable
  EXPECT_EQ(judge(S_IFDIR | S_ISGID | 0770, kMe), HAK_STATS_DIR_OPEN_TO_OTHERS);
}

TEST(StatsDir, FirstFaultWins) {
  // A symlink's own mode is 0777 and its owner anyone's: the symlink is what is said.
  EXPECT_EQ(judge(S_IFLNK | 0777, kMe + 1), HAK_STATS_DIR_SYMLINK);
  EXPECT_EQ(judge(S_IFREG | 0666, kMe + 1), HAK_STATS_DIR_NOT_DIRECTORY);
  EXPECT_EQ(judge(S_IFDIR | 0777, kMe + 1), HAK_STATS_DIR_FOREIGN_OWNER);
}

TEST(StatsDir, TheAllocatorsWords) {
  struct stat fit = with(S_IFDIR | 0700, kMe);
  EXPECT_EQ(hak_stats_dir_unfit(&fit, kMe), nullptr);
  EXPECT_EQ(hak_stats_dir_fault_text(HAK_STATS_DIR_OK), nullptr);
  struct {
    mode_t mode;
    uid_t owner;
    const char* text;
  } const cases[] = {
      {S_IFLNK | 0777, kMe, "the stats directory is a symlink"},
      {S_IFREG | 0600, kMe, "the stats directory is not a directory"},
      {S_IFDIR | 0700, kMe + 1, "the stats directory belongs to another user"},
      {S_IFDIR | 0777, kMe, "the stats directory is writable by others and not sticky"},
  };
  for (const auto& c : cases) {
    struct stat st = with(c.mode, c.owner);
    ASSERT_NE(hak_stats_dir_unfit(&st, kMe), nullptr) << c.text;
    EXPECT_STREQ(hak_stats_dir_unfit(&st, kMe), c.text);
  }
}

TEST(StatsDir, RealDirectories) {
  char tmpl[] = "/tmp/hakmem-stats-dir-test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  auto lstat_judge = [](const std::string& path) {
    struct stat st;
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    return hak_stats_dir_judge(&st, geteuid());
  };
  EXPECT_EQ(lstat_judge(dir), HAK_STATS_DIR_OK);  // mkdtemp: 0700, ours
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  EXPECT_EQ(lstat_judge(dir), HAK_STATS_DIR_OPEN_TO_OTHERS);
  ASSERT_EQ(chmod(dir.c_str(), 01777), 0);
  EXPECT_EQ(lstat_judge(dir), HAK_STATS_DIR_OK);
  ASSERT_EQ(symlink(dir.c_str(), (dir + ".link").c_str()), 0);
  EXPECT_EQ(lstat_judge(dir + ".link"), HAK_STATS_DIR_SYMLINK);
  unlink((dir + ".link").c_str());
  rmdir(dir.c_str());
  struct stat shm;
  if (lstat("/dev/shm", &shm) == 0) EXPECT_EQ(hak_stats_dir_judge(&shm, geteuid()), HAK_STATS_DIR_OK);
}

}  // namespace
