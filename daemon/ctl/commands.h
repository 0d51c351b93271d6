// hakmemctl's commands. Each takes the arguments after its name, writes its report to
// stdout and its errors to stderr, and returns the exit code (kExit*). Usage mistakes are
// thrown as UsageError (args.h) and reported by main.
#pragma once

namespace hakmem::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // no segment, a rejected segment, an unreadable file
inline constexpr int kExitUsage = 2;    // a wrong command line

int cmd_list(int argc, char** argv);      // list [--clean] [--dir D]
int cmd_stat(int argc, char** argv);      // stat PID [--json] [--dir D]
int cmd_snapshot(int argc, char** argv);  // snapshot PID [--dir D]
int cmd_top(int argc, char** argv);       // top [PID...] [--interval S] [--iterations N] ...
int cmd_compare(int argc, char** argv);   // compare A B [--dir D]

}  // namespace hakmem::ctl
