/* fork_cache: a forked child's thread cache is the one its parent had at the fork, although
 * the caches live in the shared telemetry segment and the parent keeps using them.
 *
 * usage: fork_cache [FORKS]
 * Before each fork the parent holds 64 blocks of 48 bytes, patterned. An atfork handler frees
 * them in the parent right after the fork, into the cache the child inherited, and runs a
 * thread that allocates and frees (its heap's slot caches change in the shared pages too). The
 * child then allocates 512 blocks of that size, from its main thread and from a new thread of
 * its own: none may be one of the 64, which are live in the child, none may be handed out
 * twice, and the 64 patterns must be intact. Exits 0 with one summary line, 1 on a fault. */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int kHeld = 64;
constexpr size_t kSize = 48;
void* g_held[kHeld];

void pattern(void* p, int i) { memset(p, 0x40 + (i & 0x3f), kSize); }
bool intact(const void* p, int i) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (size_t k = 0; k < kSize; ++k)
    if (b[k] != 0x40 + (i & 0x3f)) return false;
  return true;
}

void* churn(void*) {
  void* mine[256];
  for (void*& p : mine) p = malloc(kSize);
  for (void* p : mine) free(p);
  return nullptr;
}

void free_held_in_parent() {
  for (void*& p : g_held) {
    free(p);
    p = nullptr;
  }
  pthread_t t;
  if (pthread_create(&t, nullptr, churn, nullptr) == 0) pthread_join(t, nullptr);
}

// 256 blocks, none one of g_held and none twice; kept (leaked) so later ones cannot reuse them.
void* take_blocks(void* fault) {
  static void* seen[1024];
  static int n;
  for (int i = 0; i < 256; ++i) {
    void* p = malloc(kSize);
    if (p == nullptr) {
      *static_cast<int*>(fault) = 2;
      return nullptr;
    }
    for (int h = 0; h < kHeld; ++h) {
      if (p == g_held[h]) {
        fprintf(stderr, "fork_cache: the child's malloc returned block %d it holds live\n", h);
        *static_cast<int*>(fault) = 1;
      }
    }
    for (int k = 0; k < n; ++k) {
      if (seen[k] == p) {
        fprintf(stderr, "fork_cache: the child's malloc returned %p twice\n", p);
        *static_cast<int*>(fault) = 1;
      }
    }
    if (n < 1024) seen[n++] = p;
    memset(p, 0x11, kSize);
  }
  return nullptr;
}

int child() {
  // The parent's handler freed g_held there; here they are still live (this image's copy).
  int fault = 0;
  take_blocks(&fault);
  pthread_t t;
  if (pthread_create(&t, nullptr, take_blocks, &fault) != 0 || pthread_join(t, nullptr) != 0) return 2;
  if (fault != 0) return fault;
  for (int h = 0; h < kHeld; ++h) {
    if (!intact(g_held[h], h)) {
      fprintf(stderr, "fork_cache: the child's block %d was overwritten\n", h);
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int forks = argc > 1 ? atoi(argv[1]) : 200;
  if (pthread_atfork(nullptr, free_held_in_parent, nullptr) != 0) return 2;
  for (int f = 0; f < forks; ++f) {
    for (int h = 0; h < kHeld; ++h) {
      g_held[h] = malloc(kSize);
      if (g_held[h] == nullptr) return 2;
      pattern(g_held[h], h);
    }
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) _exit(child());
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "fork_cache: child %d of %d failed (status %#x)\n", f, forks, status);
      return 1;
    }
  }
  printf("fork_cache: %d forks, every child's cache its own\n", forks);
  return 0;
}
