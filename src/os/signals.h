// Signal handlers for the crash log: installed beside the program's own, and handing each
// signal on to what was there before. Async-signal-safe where the handler runs.
#pragma once
#include <signal.h>

namespace hakmem::os {

using SignalHandler = void (*)(int sig, siginfo_t* info, void* ctx);

// Installs h for sig (SA_SIGINFO | SA_NODEFER), keeping the previous disposition in *prev.
void install_signal_handler(int sig, SignalHandler h, struct sigaction* prev);
// Hands sig on to prev's handler if it had one; else restores the default action and re-raises
// it (the fault recurs, or abort proceeds, unhandled).
void pass_signal_on(int sig, const struct sigaction& prev, siginfo_t* info, void* ctx);

}  // namespace hakmem::os
