// The effective HAKMEM_* configuration. Read once, at allocator init, straight from the
// process environment (no getenv copies, no malloc); every value is range-checked, and a bad
// one keeps its default after one warning line naming the variable. With
// HAKMEM_STRICT_CONFIG=1 the first bad value or unknown HAKMEM_* variable is instead one line
// (the variable, its value, what is accepted) and the process exits with status 2.
// Read-only afterwards.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hakmem {

constexpr size_t kMaxOptionText = 256;

struct Config {
#define HAK_OPT_INT(NAME, field, def, lo, hi, doc) uint64_t field;
#define HAK_OPT_CHOICE(NAME, field, def, choices, doc) unsigned field;
#define HAK_OPT_TEXT(NAME, field, def, accepted, doc) char field[kMaxOptionText];
#include "support/options.def"
#undef HAK_OPT_INT
#undef HAK_OPT_CHOICE
#undef HAK_OPT_TEXT
};

enum OnInvalidFree : unsigned { kInvalidAbort = 0, kInvalidIgnore = 1 };

// Parses the environment into the global config; called once by init.
void load_config();
const Config& config();

// Calls fn(name, value, ctx) for every option in options.def order, with the full variable
// name and the effective value as text (a choice by its name).
void config_for_each(const Config& c, void (*fn)(const char* name, const char* value, void* ctx),
                     void* ctx);

// Test hook: parse from an explicit NULL-terminated environment into *out, writing warnings
// to warn_fd. Returns the number of warnings (in strict mode, of refusals: only the first is
// written, and the caller, not this hook, would exit).
int parse_config_for_test(const char* const* envp, Config* out, int warn_fd);

}  // namespace hakmem
