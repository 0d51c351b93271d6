// The segment writer, seen from outside: exact counts of a known workload read from its live
// segment, the segment's life (fork, exec, exit, HAKMEM_STATS=0) and its failures (a directory
// it may not write, a tmpfs that is or becomes full, no file descriptors left), after which
// the program must run on. Run as root for the tmpfs cases (skipped otherwise).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "segment_oracle.h"

namespace {

constexpr int kN = 1000;
constexpr unsigned kClass = 32;   // class of 9000-byte blocks (10240 B)

// A running workload: stdin and stdout are pipes to the test, stderr goes to a file.
class Workload {
 public:
  Workload(const std::vector<std::string>& argv, const std::vector<std::string>& env,
           const std::string& err_path) {
    int in[2], out[2];
    EXPECT_EQ(pipe(in), 0);
    EXPECT_EQ(pipe(out), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      FILE* err = fopen(err_path.c_str(), "w");
      if (err != nullptr) dup2(fileno(err), 2);
      for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    to_ = fdopen(in[1], "w");
    from_ = fdopen(out[0], "r");
  }
  ~Workload() {
    if (to_ != nullptr) fclose(to_);
    if (from_ != nullptr) fclose(from_);
    if (pid_ > 0 && !reaped_) waitpid(pid_, nullptr, 0);
  }
  std::string line() {
    char buf[128];
    if (fgets(buf, sizeof buf, from_) == nullptr) return "<eof>";
    std::string s(buf);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  void next() {
    fputs("go\n", to_);
    fflush(to_);
  }
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  int pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  FILE* to_ = nullptr;
  FILE* from_ = nullptr;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class Telemetry : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hakmem-telemetry-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    err_ = dir_ + ".stderr";
  }
  void TearDown() override {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
    std::string cmd = "rm -rf '" + dir_ + "' '" + err_ + "'";
    if (system(cmd.c_str()) != 0) ADD_FAILURE() << cmd;
  }
  std::vector<std::string> env(const std::string& extra = "") const {
    std::vector<std::string> e = {"LD_PRELOAD=" HAKMEM_PRELOAD_LIB, "HAKMEM_STATS_DIR=" + dir_};
    if (!extra.empty()) e.push_back(extra);
    return e;
  }
  oracle::Segment read(int pid) const { return oracle::read(oracle::path_for(pid, dir_.c_str())); }
  bool exists(int pid) const { return access(oracle::path_for(pid, dir_.c_str()).c_str(), F_OK) == 0; }
  void mount_tmpfs(const char* size) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a tmpfs";
    std::string opts = std::string("size=") + size + ",mode=0700";
    ASSERT_EQ(mount("hakmem-test", dir_.c_str(), "tmpfs", 0, opts.c_str()), 0) << strerror(errno);
    mounted_ = true;
  }

  std::string dir_, err_;
  bool mounted_ = false;
};

TEST_F(Telemetry, ExactCountsWhileAliveAndAfterExit) {
  Workload w({HAKMEM_EXACT_WORKLOAD, std::to_string(kN)}, env(), err_);
  ASSERT_EQ(w.line(), "start");
  oracle::Segment s = read(w.pid());
  ASSERT_EQ(s.error, "");
  EXPECT_EQ(s.header.pid, w.pid());
  EXPECT_STREQ(s.header.comm, "exact_workload");
  EXPECT_NE(s.header.flags & HAK_SEG_FLAG_ACTIVE, 0u);
  EXPECT_EQ(s.classes[kClass].allocs, 0u) << "class " << kClass << " is used by someone else";
  EXPECT_EQ(oracle::setting(s, "HAKMEM_STATS_DIR"), dir_);
  uint64_t cap = std::min<uint64_t>(std::stoull(oracle::setting(s, "HAKMEM_TCACHE_CAP")),
                                    std::stoull(oracle::setting(s, "HAKMEM_TCACHE_BYTES")) / 10240);

  w.next();
  ASSERT_EQ(w.line(), "allocated");
  s = read(w.pid());
  // Occupancy: the N live blocks sit in bound slabs of 64 KiB (6 blocks of 10 KiB each).
  EXPECT_GE(s.process.slabs_in_use[kClass] * (65536 / 10240), uint64_t{kN});
  EXPECT_GE(s.process.slabs_in_use[kClass] * (65536 / 10240),
            s.classes[kClass].allocs - s.classes[kClass].frees);

  w.next();
  ASSERT_EQ(w.line(), "alive");
  s = read(w.pid());
  const oracle::ClassTotals& c = s.classes[kClass];
  EXPECT_EQ(c.allocs, uint64_t{kN});
  EXPECT_EQ(c.frees, uint64_t{kN});
  EXPECT_EQ(c.remote_frees, uint64_t{kN});
  // Identity: every allocation came from a refill, and what was refilled but not allocated
  // still sits in the worker's cache: N <= objects refilled <= N + cap.
  EXPECT_GE(c.objects(), uint64_t{kN});
  EXPECT_LE(c.objects(), kN + cap);
  // The live caches count every pair the idle worker made (the process may have made more of
  // that size).
  EXPECT_GE(s.classes[3].allocs, 65536u);
  EXPECT_GE(s.classes[3].frees, 65536u);

  w.next();
  ASSERT_EQ(w.line(), "exited");
  s = read(w.pid());
  EXPECT_EQ(s.classes[kClass].allocs, uint64_t{kN});
  EXPECT_EQ(s.classes[kClass].frees, uint64_t{kN});
  EXPECT_EQ(s.classes[kClass].remote_frees, uint64_t{kN});
  EXPECT_EQ(s.process.threads_exited, 1u);
  w.next();
  EXPECT_EQ(w.wait(), 0) << slurp(err_);
  EXPECT_FALSE(exists(w.pid())) << "the segment is removed at exit";
}

TEST_F(Telemetry, ForkedChildGetsItsOwnSegment) {
  Workload w({HAKMEM_EXACT_WORKLOAD, std::to_string(kN), "fork"}, env(), err_);
  ASSERT_EQ(w.line(), "start");
  w.next();
  std::string child_line = w.line();
  ASSERT_EQ(child_line.rfind("child ", 0), 0u) << child_line;
  int child = std::stoi(child_line.substr(6));
  ASSERT_EQ(w.line(), "child-allocated");
  oracle::Segment cs = read(child), ps = read(w.pid());
  ASSERT_EQ(cs.error, "");
  ASSERT_EQ(ps.error, "");
  EXPECT_EQ(cs.header.pid, child);
  EXPECT_GE(cs.classes[kClass].objects(), uint64_t{kN});
  EXPECT_EQ(ps.classes[kClass].objects(), 0u) << "the child's counts went into the parent's segment";
  w.next();
  ASSERT_EQ(w.line(), "child-done");
  EXPECT_FALSE(exists(child));
  w.next();
  EXPECT_EQ(w.wait(), 0) << slurp(err_);
}

TEST_F(Telemetry, ExecReplacesTheSegmentOfThePreviousImage) {
  // sh (preloaded) publishes hakmem.<pid>, then execs the workload under the same pid.
  Workload w({"/bin/sh", "-c", "exec " HAKMEM_EXACT_WORKLOAD " 10"}, env(), err_);
  ASSERT_EQ(w.line(), "start");
  oracle::Segment s = read(w.pid());
  ASSERT_EQ(s.error, "");
  EXPECT_STREQ(s.header.comm, "exact_workload");
  // One "go" per phase: a surplus one would be written after the workload exited (SIGPIPE).
  for (const char* phase : {"allocated", "alive", "exited"}) {
    w.next();
    EXPECT_EQ(w.line(), phase);
  }
  w.next();
  EXPECT_EQ(w.wait(), 0) << slurp(err_);
  EXPECT_EQ(slurp(err_), "");
}

TEST_F(Telemetry, NewProcessRemovesSegmentsOfDeadProcesses) {
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  std::string stale = oracle::path_for(dead, dir_.c_str());
  std::string live = oracle::path_for(getpid(), dir_.c_str());   // ours: alive
  for (const std::string& f : {stale, live}) fclose(fopen(f.c_str(), "w"));
  Workload w({HAKMEM_EXACT_WORKLOAD, "10"}, env(), err_);
  ASSERT_EQ(w.line(), "start");
  EXPECT_NE(access(stale.c_str(), F_OK), 0) << "the dead process's segment is still there";
  EXPECT_EQ(access(live.c_str(), F_OK), 0) << "a live process's segment was removed";
  for (int i = 0; i < 4; ++i) {
    w.next();
    w.line();
  }
  EXPECT_EQ(w.wait(), 0) << slurp(err_);
}

TEST_F(Telemetry, StatsZeroPublishesNothing) {
  Workload w({HAKMEM_EXACT_WORKLOAD, "10"}, env("HAKMEM_STATS=0"), err_);
  ASSERT_EQ(w.line(), "start");
  EXPECT_FALSE(exists(w.pid()));
  for (int i = 0; i < 4; ++i) {
    w.next();
    w.line();
  }
  EXPECT_EQ(w.wait(), 0) << slurp(err_);
}

// Runs the workload to its end and expects exit 0 with exactly one "telemetry off" line.
void run_expecting_off(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                       const std::string& err, const std::string& reason) {
  Workload w(argv, env, err);
  ASSERT_EQ(w.line(), "start");
  for (int i = 0; i < 4; ++i) {
    w.next();
    w.line();
  }
  EXPECT_EQ(w.wait(), 0);
  std::string text = slurp(err);
  EXPECT_EQ(text.find("hakmem: telemetry off: "), 0u) << text;
  EXPECT_NE(text.find(reason), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
}

TEST_F(Telemetry, ReadOnlyDirectoryLeavesTelemetryOff) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run the workload as another user";
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  // As nobody, the root-owned 0755 directory is fit but not writable. Only the workload is
  // preloaded: setpriv itself would publish as root before it changes user.
  std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                   "--clear-groups", "/usr/bin/env"};
  for (const std::string& e : env()) argv.push_back(e);
  argv.push_back(HAKMEM_EXACT_WORKLOAD);
  argv.push_back("10");
  run_expecting_off(argv, {}, err_, "cannot create the segment (Permission denied)");
}

TEST_F(Telemetry, NoSpaceAtCreationLeavesTelemetryOff) {
  mount_tmpfs("64k");
  if (HasFatalFailure() || IsSkipped()) return;
  run_expecting_off({HAKMEM_EXACT_WORKLOAD, "10"}, env(), err_, "cannot reserve the segment's space");
}

TEST_F(Telemetry, TooManyFilesLeavesTelemetryOff) {
  mount_tmpfs("1m,nr_inodes=8");
  if (HasFatalFailure() || IsSkipped()) return;
  for (int i = 0; i < 16; ++i) {   // use up every inode the tmpfs has
    std::string f = dir_ + "/f" + std::to_string(i);
    FILE* fp = fopen(f.c_str(), "w");
    if (fp == nullptr) break;
    fclose(fp);
  }
  run_expecting_off({HAKMEM_EXACT_WORKLOAD, "10"}, env(), err_,
                    "cannot create the segment (No space left on device)");
}

TEST_F(Telemetry, TmpfsFillingUpLaterDoesNotHurtTheProgram) {
  mount_tmpfs("2m");
  if (HasFatalFailure() || IsSkipped()) return;
  Workload w({HAKMEM_EXACT_WORKLOAD, std::to_string(kN)}, env(), err_);
  ASSERT_EQ(w.line(), "start");
  ASSERT_TRUE(exists(w.pid()));
  std::string fill = "dd if=/dev/zero of='" + dir_ + "/fill' bs=64k 2>/dev/null";
  EXPECT_NE(system(fill.c_str()), 0) << "the tmpfs should have filled up";
  for (const char* expect : {"allocated", "alive", "exited"}) {
    w.next();
    EXPECT_EQ(w.line(), expect);
  }
  oracle::Segment s = read(w.pid());
  EXPECT_EQ(s.classes[kClass].allocs, uint64_t{kN}) << "the reserved segment keeps counting";
  w.next();
  EXPECT_EQ(w.wait(), 0) << slurp(err_);
  EXPECT_EQ(slurp(err_), "");
}

// The file reserves what the process uses (its slots and a few spare), not the whole
// segment; slots claimed later reserve their pages first. With the tmpfs full, 32 threads
// alive at once claim slots beyond the reserve: those claims go without a slot instead of
// meeting a SIGBUS at the slot's first write, and the program runs on undisturbed.
TEST_F(Telemetry, SlotsClaimedAfterTheTmpfsFilledUpGoWithoutOne) {
  mount_tmpfs("2m");
  if (HasFatalFailure() || IsSkipped()) return;
  Workload w({HAKMEM_EXACT_WORKLOAD, "100", "threads"}, env(), err_);
  ASSERT_EQ(w.line(), "start");
  struct stat st;
  ASSERT_EQ(stat(oracle::path_for(w.pid(), dir_.c_str()).c_str(), &st), 0);
  EXPECT_LT(st.st_blocks * 512, 200 * 1024) << "reserved the whole segment";
  std::string fill = "dd if=/dev/zero of='" + dir_ + "/fill' bs=4k 2>/dev/null";
  EXPECT_NE(system(fill.c_str()), 0) << "the tmpfs should have filled up";
  w.next();
  EXPECT_EQ(w.line(), "threads-done");
  oracle::Segment s = read(w.pid());
  EXPECT_LE(s.classes[kClass].allocs, uint64_t{32 * 100}) << "no slot counts twice";
  w.next();
  EXPECT_EQ(w.wait(), 0) << slurp(err_);
  EXPECT_EQ(slurp(err_), "");
}

}  // namespace
