// os::thread_tid: the id read from glibc's thread descriptor once trusted must be the
// kernel's, in every thread, whichever thread probed first.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "os/thread_id.h"

namespace {

bool agrees() { return hakmem::os::thread_tid() == static_cast<int>(syscall(SYS_gettid)); }

}  // namespace

TEST(ThreadId, MatchesGettidInEveryThread) {
  EXPECT_TRUE(agrees());
  for (int round = 0; round < 3; ++round) {
    std::vector<std::thread> threads;
    std::vector<char> ok(8, 0);
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&ok, i] { ok[i] = agrees() && agrees(); });
    }
    for (auto& t : threads) t.join();
    for (char v : ok) EXPECT_TRUE(v);
  }
  EXPECT_TRUE(agrees());
}
