// A library the lifecycle test dlopen()s: it allocates in its constructor and in calls, and
// frees what the program allocated, so blocks cross the dlopen boundary both ways.
#include <cstdlib>
#include <cstring>

namespace {
void* g_from_ctor;
[[gnu::constructor]] void probe_init() { g_from_ctor = malloc(12345); }
[[gnu::destructor]] void probe_fini() { free(g_from_ctor); }
}  // namespace

extern "C" char* probe_make(size_t n) {
  char* p = static_cast<char*>(malloc(n));
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<char>('a' + i % 26);
  return p;
}

extern "C" size_t probe_take(char* p) {
  size_t n = strlen(p) ;
  free(p);
  return n;
}
