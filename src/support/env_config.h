// The effective HAKMEM_* configuration. Read once, at allocator init, straight from the
// process environment (no getenv copies, no malloc): the defaults, then HAKMEM_PROFILE's
// preset (profiles.def), then every variable set; a variable set twice counts as its first
// entry, as getenv(3) reads it (each later one gets a warning). Every value is range-checked,
// and a bad one keeps the value it had (its default or its profile's) after one warning line
// naming the variable. With HAKMEM_STRICT_CONFIG=1 the first bad value or unknown HAKMEM_*
// variable is instead one line (the variable, its value, what is accepted) and the process
// exits with status 2.
// Read-only afterwards.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hakmem {

constexpr size_t kMaxOptionText = 256;

// Every option's index, in options.def order.
enum OptionId : unsigned {
#define HAK_OPT_INT(NAME, field, def, lo, hi, doc) kOpt##NAME,
#define HAK_OPT_CHOICE(NAME, field, def, choices, doc) kOpt##NAME,
#define HAK_OPT_TEXT(NAME, field, def, accepted, doc) kOpt##NAME,
#include "support/options.def"
#undef HAK_OPT_INT
#undef HAK_OPT_CHOICE
#undef HAK_OPT_TEXT
  kNumOptions
};

struct Config {
#define HAK_OPT_INT(NAME, field, def, lo, hi, doc) uint64_t field;
#define HAK_OPT_CHOICE(NAME, field, def, choices, doc) unsigned field;
#define HAK_OPT_TEXT(NAME, field, def, accepted, doc) char field[kMaxOptionText];
#include "support/options.def"
#undef HAK_OPT_INT
#undef HAK_OPT_CHOICE
#undef HAK_OPT_TEXT
  // Where each effective value came from: enum hak_seg_setting_source (default, profile, env).
  uint8_t source[kNumOptions];
};

enum OnInvalidFree : unsigned { kInvalidAbort = 0, kInvalidIgnore = 1 };

// Parses the environment into the global config; called once by init.
void load_config();
// Inline: slow paths that run per block (a remote free) read it.
extern Config g_config;
inline const Config& config() { return g_config; }

// Calls fn(name, value, source, ctx) for every option in options.def order, with the full
// variable name, the effective value as text (a choice by its name) and its source.
void config_for_each(const Config& c,
                     void (*fn)(const char* name, const char* value, unsigned source, void* ctx),
                     void* ctx);

// HAKMEM_PROFILE's presets (profiles.def), in the order of its choices.
struct Profile {
  const char* name;
  const char* purpose;
  const char* entries;   // "HAKMEM_X=value HAKMEM_Y=value ...", space-separated
};
extern const Profile kProfiles[];
extern const unsigned kNumProfiles;

// Test hook: parse from an explicit NULL-terminated environment into *out, writing warnings
// to warn_fd. Returns the number of warnings (in strict mode, of refusals: only the first is
// written, and the caller, not this hook, would exit).
int parse_config_for_test(const char* const* envp, Config* out, int warn_fd);

}  // namespace hakmem
