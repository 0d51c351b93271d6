// Crash-log cases, linked with libhakmem.a (so HAKMEM's constructor runs after this file's
// priority-101 constructor and finds the program's handler already installed):
//   crash segv     a segfault with no program handler: HAKMEM logs, then the default action
//   crash chain    the program's SIGSEGV handler was installed first: HAKMEM logs, then calls
//                  it (it exits 42)
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace {

bool g_chain;

void program_handler(int) {
  const char msg[] = "program handler ran\n";
  (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
  _exit(42);
}

[[gnu::constructor(101)]] void install_program_handler() {
  const char* mode = getenv("CRASH_MODE");
  g_chain = mode != nullptr && strcmp(mode, "chain") == 0;
  if (g_chain) signal(SIGSEGV, program_handler);
}

}  // namespace

int main() {
  void* p = malloc(100);   // HAKMEM is the process malloc here
  free(p);
  volatile int* bad = nullptr;
  *bad = 1;
  return 0;
}
