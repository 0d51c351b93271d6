// HAKMEM_* parsing. Walks the environment once (after a look for HAKMEM_PROFILE and
// HAKMEM_STRICT_CONFIG); the option list in options.def is the only place names, defaults and
// ranges live, profiles.def the only place presets do. Warnings are single lines on stderr
// (a value's control bytes written as \xNN, a long value cut after 320 bytes):
//   hakmem: HAKMEM_X=value: <reason>; keeping default <d>   (or: keeping <v> from HAKMEM_PROFILE)
// Nothing here allocates: values are parsed in place and text options copied into Config.
#include "support/env_config.h"

#include <unistd.h>

#include "hakmem/telemetry_abi.h"
#include "os/os.h"
#include "support/invariant.h"
#include "support/text_buffer.h"

extern char** environ;

namespace hakmem {

const Profile kProfiles[] = {
#define HAK_PROFILE(name, purpose, entries) {name, purpose, entries},
#include "support/profiles.def"
#undef HAK_PROFILE
};
const unsigned kNumProfiles = sizeof kProfiles / sizeof kProfiles[0];

Config g_config;

namespace {

constexpr char kPrefix[] = "HAKMEM_";
constexpr size_t kPrefixLen = sizeof(kPrefix) - 1;

bool starts_with(const char* s, const char* prefix) {
  while (*prefix != '\0') {
    if (*s++ != *prefix++) return false;
  }
  return true;
}

// entry is "NAME=value"; returns the value if entry's name is exactly `name`.
const char* match(const char* entry, const char* name) {
  if (!starts_with(entry, name)) return nullptr;
  size_t n = 0;
  while (name[n] != '\0') ++n;
  return entry[n] == '=' ? entry + n + 1 : nullptr;
}

// Strict decimal: digits only, no sign, no overflow.
bool parse_u64(const char* s, uint64_t* out) {
  if (*s == '\0') return false;
  uint64_t v = 0;
  for (; *s != '\0'; ++s) {
    if (*s < '0' || *s > '9') return false;
    uint64_t d = static_cast<uint64_t>(*s - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

// Index of value in a "a|b|c" list, or -1.
int choice_index(const char* choices, const char* value) {
  int index = 0;
  const char* c = choices;
  while (true) {
    const char* v = value;
    while (*c != '\0' && *c != '|' && *c == *v) {
      ++c;
      ++v;
    }
    if ((*c == '\0' || *c == '|') && *v == '\0') return index;
    while (*c != '\0' && *c != '|') ++c;
    if (*c == '\0') return -1;
    ++c;
    ++index;
  }
}

// The index-th name of a "a|b|c" list, copied into out.
const char* choice_name(const char* choices, unsigned index, char* out, size_t cap) {
  const char* c = choices;
  for (; index > 0 && *c != '\0'; ++c) {
    if (*c == '|') --index;
  }
  size_t n = 0;
  for (; c[n] != '\0' && c[n] != '|' && n + 1 < cap; ++n) out[n] = c[n];
  out[n] = '\0';
  return out;
}

void copy_text(char* dst, const char* src) {
  size_t i = 0;
  for (; src[i] != '\0' && i + 1 < kMaxOptionText; ++i) dst[i] = src[i];
  dst[i] = '\0';
}

bool text_equal(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) ++a, ++b;
  return *a == *b;
}

size_t text_len(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

// Appends s with its control bytes as \xNN, stopping (with "...") once `budget` bytes are out:
// an environment value may hold newlines or be kilobytes long, and a warning stays one line.
void escaped(TextBuffer& t, const char* s, size_t budget) {
  for (size_t out = 0; *s != '\0'; ++s) {
    auto c = static_cast<unsigned char>(*s);
    if (out >= budget) {
      t.str("...");
      return;
    }
    char one[5] = {static_cast<char>(c), '\0'};
    if (c < 0x20 || c == 0x7f) {
      one[0] = '\\', one[1] = 'x', one[2] = "0123456789abcdef"[c >> 4], one[3] = "0123456789abcdef"[c & 15];
      one[4] = '\0';
    }
    t.str(one);
    out += c < 0x20 || c == 0x7f ? 4 : 1;
  }
}

// One line per bad entry; in strict mode one line for the first only, which says what is
// accepted and that the program stops. The entry and the kept value are quoted escaped and cut
// (escaped()), so the line fits its buffer whole, newline included: the longest reason and
// accepted text are under 200 bytes.
class Warner {
 public:
  Warner(int fd, bool strict) : fd_(fd), strict_(strict) {}
  void warn(const char* entry, const char* reason, const char* keeping, const char* accepted) {
    ++count_;
    if (fd_ < 0 || (strict_ && count_ > 1)) return;
    char storage[1024];
    TextBuffer t(storage, sizeof storage - 1);  // the last byte is the newline's
    t.str("hakmem: ");
    escaped(t, entry, 320);
    t.str(": ").str(reason);
    if (strict_) {
      t.str("; accepted: ").str(accepted).str("; HAKMEM_STRICT_CONFIG=1: exiting with status 2");
    } else if (keeping != nullptr) {
      t.str("; keeping ");
      escaped(t, keeping, 320);
    }
    storage[t.size()] = '\n';
    os::write_all(fd_, storage, t.size() + 1);
  }
  int count() const { return count_; }
  bool strict() const { return strict_; }

 private:
  int fd_;
  bool strict_;
  int count_ = 0;
};

// The value of variable `name` in envp, or nullptr when it is not set.
const char* env_value(const char* const* envp, const char* name) {
  if (envp == nullptr) return nullptr;
  for (const char* const* e = envp; *e != nullptr; ++e)
    if (const char* v = match(*e, name)) return v;
  return nullptr;
}

// The value an option keeps when its variable is bad: "default <d>" or "<v> from
// HAKMEM_PROFILE", written into buf.
const char* keeping(const Config& c, unsigned id, const char* value, char* buf, size_t cap) {
  TextBuffer t(buf, cap);
  if (c.source[id] == HAK_SEG_SOURCE_PROFILE) t.str(value).str(" from HAKMEM_PROFILE");
  else t.str("default ").str(value);
  return t.c_str();
}

void set_defaults(Config* c) {
#define HAK_OPT_INT(NAME, field, def, lo, hi, doc) c->field = def;
#define HAK_OPT_CHOICE(NAME, field, def, choices, doc) c->field = def;
#define HAK_OPT_TEXT(NAME, field, def, accepted, doc) copy_text(c->field, def);
#include "support/options.def"
#undef HAK_OPT_INT
#undef HAK_OPT_CHOICE
#undef HAK_OPT_TEXT
  for (unsigned i = 0; i < kNumOptions; ++i) c->source[i] = HAK_SEG_SOURCE_DEFAULT;
}

// Parses an integer option's value into *field; false (after a warning) when it is bad.
bool parse_int(const Config& c, unsigned id, const char* entry, const char* value, uint64_t lo,
               uint64_t hi, uint64_t* field, Warner* w) {
  char current[24];
  TextBuffer d(current, sizeof current);
  d.num(*field);
  char defbuf[64];
  keeping(c, id, d.c_str(), defbuf, sizeof defbuf);
  char accepted[64];
  TextBuffer a(accepted, sizeof accepted - 1);
  a.str("an integer in [").num(lo).str(", ").num(hi).str("]");
  accepted[a.size()] = '\0';
  uint64_t v;
  if (!parse_u64(value, &v)) {
    w->warn(entry, "not a non-negative integer", defbuf, accepted);
  } else if (v < lo || v > hi) {
    char reason[96];
    TextBuffer r(reason, sizeof reason - 1);
    r.str("out of range [").num(lo).str(", ").num(hi).str("]");
    reason[r.size()] = '\0';
    w->warn(entry, reason, defbuf, accepted);
  } else {
    *field = v;
    return true;
  }
  return false;
}

// Sets the option `entry` names from its value, recording `source`; a bad value or an unknown
// name is a warning.
void parse_entry(const char* entry, Config* c, Warner* w, uint8_t source) {
  const char* value;
#define HAK_OPT_INT(NAME, field, def, lo, hi, doc)                            \
  if ((value = match(entry, "HAKMEM_" #NAME)) != nullptr) {                   \
    if (parse_int(*c, kOpt##NAME, entry, value, lo, hi, &c->field, w))        \
      c->source[kOpt##NAME] = source;                                         \
    return;                                                                   \
  }
#define HAK_OPT_CHOICE(NAME, field, def, choices, doc)                        \
  if ((value = match(entry, "HAKMEM_" #NAME)) != nullptr) {                   \
    int i = choice_index(choices, value);                                     \
    if (i < 0) {                                                              \
      w->warn(entry, "not one of " choices, nullptr, choices);                \
    } else {                                                                  \
      c->field = static_cast<unsigned>(i);                                    \
      c->source[kOpt##NAME] = source;                                         \
    }                                                                         \
    return;                                                                   \
  }
#define HAK_OPT_TEXT(NAME, field, def, accepted, doc)                         \
  if ((value = match(entry, "HAKMEM_" #NAME)) != nullptr) {                   \
    if (text_len(value) + 1 > kMaxOptionText) {                               \
      char quoted[kMaxOptionText + 2];                                        \
      TextBuffer q(quoted, sizeof quoted);                                    \
      char kept[kMaxOptionText + 40];                                         \
      w->warn(entry, "value too long",                                        \
              keeping(*c, kOpt##NAME, q.str("\"").str(c->field).str("\"").c_str(), kept, sizeof kept), \
              accepted " (at most 255 bytes)");                               \
    } else {                                                                  \
      copy_text(c->field, value);                                             \
      c->source[kOpt##NAME] = source;                                         \
    }                                                                         \
    return;                                                                   \
  }
#include "support/options.def"
#undef HAK_OPT_INT
#undef HAK_OPT_CHOICE
#undef HAK_OPT_TEXT
  w->warn(entry, w->strict() ? "unknown HAKMEM_ variable" : "unknown HAKMEM_ variable, ignored",
          nullptr,
          "only the variables of the README's table (HAKMEM_STRICT_CONFIG=1 refuses the rest)");
}

// An entry before `e` in envp with the same name, or nullptr. A variable set twice (execve
// allows it) counts as its first entry, as getenv(3) reads it: what the program sees, and what
// env_value gave HAKMEM_PROFILE and HAKMEM_STRICT_CONFIG. Found by tests/fuzz/env_config_fuzz:
// the walk used to apply the last entry while those two were judged by the first, so a
// profile's values could be recorded under another profile's name, and a strict-mode refusal
// printed "exiting" without load_config exiting (or the reverse).
const char* earlier_entry(const char* const* envp, const char* const* e) {
  for (const char* const* p = envp; p != e; ++p) {
    const char* a = *p;
    const char* b = *e;
    while (*a != '\0' && *a != '=' && *a == *b) ++a, ++b;
    if (*a == '=' && *b == '=') return *p;  // an entry without '=' sets nothing (getenv skips it)
  }
  return nullptr;
}

// The preset HAKMEM_PROFILE names in the environment, or -1 (unset or not a profile: the
// walk over the environment warns about the latter).
int requested_profile(const char* const* envp) {
  const char* v = env_value(envp, "HAKMEM_PROFILE");
  if (v == nullptr) return -1;
  for (unsigned i = 0; i < kNumProfiles; ++i)
    if (text_equal(kProfiles[i].name, v)) return static_cast<int>(i);
  return -1;
}

int parse(const char* const* envp, Config* c, int warn_fd) {
  set_defaults(c);
  int profile = requested_profile(envp);
  if (profile >= 0) {
    // The presets are valid (env_config_test parses each): nothing to warn about.
    Warner quiet(-1, false);
    char entry[kMaxOptionText + 64];
    for (const char* e = kProfiles[profile].entries; *e != '\0';) {
      size_t n = 0;
      for (; e[n] != '\0' && e[n] != ' ' && n + 1 < sizeof entry; ++n) entry[n] = e[n];
      entry[n] = '\0';
      e += n;
      while (*e == ' ') ++e;
      if (n > 0) parse_entry(entry, c, &quiet, HAK_SEG_SOURCE_PROFILE);
    }
  }
  // Strictness must be known before the first entry is judged, whatever the order of environ,
  // and be what load_config exits on, the strict_config the walk will leave: the variable's
  // first entry when its value is valid (0 or 1), else (unset or bad, which keeps the value it
  // had) the profile's or the default. A bad value under HAKMEM_PROFILE=debug used to count as
  // "not strict" while strict_config stayed 1 (found by tests/fuzz/env_config_fuzz).
  const char* sv = env_value(envp, "HAKMEM_STRICT_CONFIG");
  uint64_t n = 0;
  bool valid = sv != nullptr && parse_u64(sv, &n) && n <= 1;
  bool strict = valid ? n == 1 : c->strict_config == 1;
  Warner w(warn_fd, strict);
  if (envp == nullptr) return 0;
  for (const char* const* e = envp; *e != nullptr; ++e) {
    if (!starts_with(*e, kPrefix) || (*e)[kPrefixLen] == '\0') continue;
    if (const char* first = earlier_entry(envp, e)) {
      char kept[kMaxOptionText + 16];
      TextBuffer k(kept, sizeof kept);
      k.str("the first, ").str(first);
      w.warn(*e, "set again in the environment, ignored", k.c_str(), "one entry per variable");
      continue;
    }
    parse_entry(*e, c, &w, HAK_SEG_SOURCE_ENV);
  }
  return w.count();
}

}  // namespace

void load_config() {
  if (parse(environ, &g_config, STDERR_FILENO) > 0 && g_config.strict_config == 1)
    os::exit_process(2);
  g_checks_on = g_config.checks != 0;
}

void config_for_each(const Config& c,
                     void (*fn)(const char* name, const char* value, unsigned source, void* ctx),
                     void* ctx) {
  char text[kMaxOptionText];
#define HAK_OPT_INT(NAME, field, def, lo, hi, doc)                             \
  {                                                                            \
    TextBuffer t(text, sizeof text);                                           \
    fn("HAKMEM_" #NAME, t.num(c.field).c_str(), c.source[kOpt##NAME], ctx);    \
  }
#define HAK_OPT_CHOICE(NAME, field, def, choices, doc) \
  fn("HAKMEM_" #NAME, choice_name(choices, c.field, text, sizeof text), c.source[kOpt##NAME], ctx);
#define HAK_OPT_TEXT(NAME, field, def, accepted, doc) fn("HAKMEM_" #NAME, c.field, c.source[kOpt##NAME], ctx);
#include "support/options.def"
#undef HAK_OPT_INT
#undef HAK_OPT_CHOICE
#undef HAK_OPT_TEXT
}


int parse_config_for_test(const char* const* envp, Config* out, int warn_fd) {
  return parse(envp, out, warn_fd);
}

}  // namespace hakmem
