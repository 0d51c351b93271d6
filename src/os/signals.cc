// See signals.h.
#include "os/signals.h"

#include <string.h>

namespace hakmem::os {

void install_signal_handler(int sig, SignalHandler h, struct sigaction* prev) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, prev);
}

void pass_signal_on(int sig, const struct sigaction& prev, siginfo_t* info, void* ctx) {
  if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr) {
    prev.sa_sigaction(sig, info, ctx);
    return;
  }
  if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN && prev.sa_handler != nullptr) {
    prev.sa_handler(sig);
    return;
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace hakmem::os
