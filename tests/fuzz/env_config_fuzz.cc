// libFuzzer target for the HAKMEM_* environment parser (src/support/env_config.cc): the input
// is an environment, entries separated by NUL bytes (the one byte no environment string
// holds). An entry whose first byte is below 0x20 stands for "HAKMEM_<option byte % N>=" and
// the rest of it, so that every option of options.def is one mutation away.
// Oracles besides the sanitizers:
//  - every setting lies in its documented bounds (options.def), every source is default,
//    profile or env, and a default-sourced setting holds its default;
//  - getenv semantics: an env-sourced setting holds the value of its variable's first entry,
//    and a profile-sourced one the value HAKMEM_PROFILE's preset gives it;
//  - the warnings are whole single lines ("hakmem: HAKMEM_...\n"), one per counted warning,
//    and only the first in strict mode; the strict line (which says the program exits) is
//    written exactly when load_config exits (a warning and strict_config == 1).
#include <sys/mman.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "hakmem/telemetry_abi.h"
#include "support/env_config.h"

namespace {

using hakmem::Config;

constexpr size_t kMaxEntries = 64;

void require(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) {
    fprintf(stderr, "env_config_fuzz: %s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
    abort();
  }
}

enum Kind { kInt, kChoice, kText };
struct Option {
  const char* name;
  Kind kind;
  uint64_t lo, hi;  // kChoice: hi is the last index
  const char* def;  // as config_for_each writes it
};

constexpr unsigned count_choices(const char* c) {
  unsigned n = 1;
  for (; *c != '\0'; ++c) n += *c == '|';
  return n;
}

const Option kOptions[] = {
#define STR(x) #x
#define HAK_OPT_INT(NAME, field, def, lo, hi, doc) {"HAKMEM_" #NAME, kInt, lo, hi, STR(def)},
#define HAK_OPT_CHOICE(NAME, field, def, choices, doc) {"HAKMEM_" #NAME, kChoice, 0, count_choices(choices) - 1, nullptr},
#define HAK_OPT_TEXT(NAME, field, def, accepted, doc) {"HAKMEM_" #NAME, kText, 0, 0, def},
#include "support/options.def"
#undef HAK_OPT_INT
#undef HAK_OPT_CHOICE
#undef HAK_OPT_TEXT
#undef STR
};
constexpr unsigned kN = sizeof kOptions / sizeof kOptions[0];
static_assert(kN == hakmem::kNumOptions);

// The effective values as text, the way the segment records them.
struct Effective {
  std::string value[kN];
  unsigned source[kN];
  unsigned next = 0;
};

void collect(const char* name, const char* value, unsigned source, void* ctx) {
  auto* e = static_cast<Effective*>(ctx);
  require(e->next < kN && std::strcmp(name, kOptions[e->next].name) == 0, "config_for_each order", name);
  e->value[e->next] = value;
  e->source[e->next] = source;
  ++e->next;
}

// The value of the first entry named `name` in `env`, as getenv returns it.
const std::string* first_value(const std::vector<std::string>& env, const char* name, std::string* out) {
  size_t n = std::strlen(name);
  for (const std::string& e : env) {
    if (e.size() > n && e.compare(0, n, name) == 0 && e[n] == '=') {
      *out = e.substr(n + 1);
      return out;
    }
  }
  return nullptr;
}

bool same_value(const Option& o, const std::string& effective, const std::string& given) {
  if (o.kind != kInt) return effective == given;
  uint64_t a = 0, b = 0;
  auto ra = std::from_chars(effective.data(), effective.data() + effective.size(), a);
  auto rb = std::from_chars(given.data(), given.data() + given.size(), b);
  return ra.ec == std::errc() && rb.ec == std::errc() && rb.ptr == given.data() + given.size() && a == b;
}

// The value preset `profile` gives option `name`, if it names it.
bool profile_value(unsigned profile, const char* name, std::string* out) {
  std::string_view entries = hakmem::kProfiles[profile].entries;
  std::string prefix = std::string(name) + "=";
  for (size_t at = 0; at < entries.size();) {
    size_t end = entries.find(' ', at);
    if (end == std::string_view::npos) end = entries.size();
    std::string_view entry = entries.substr(at, end - at);
    if (entry.substr(0, prefix.size()) == prefix) {
      *out = std::string(entry.substr(prefix.size()));
      return true;
    }
    at = end + 1;
  }
  return false;
}

std::string read_all(int fd) {
  std::string out;
  off_t end = lseek(fd, 0, SEEK_END);
  out.resize(static_cast<size_t>(end));
  if (end > 0) require(pread(fd, out.data(), out.size(), 0) == end, "pread of the warnings");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static int warn_fd = memfd_create("env_config_fuzz", MFD_CLOEXEC);
  require(warn_fd >= 0, "memfd_create");
  require(ftruncate(warn_fd, 0) == 0 && lseek(warn_fd, 0, SEEK_SET) == 0, "memfd reset");

  std::vector<std::string> env;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (size_t at = 0; at <= in.size() && env.size() < kMaxEntries;) {
    size_t end = in.find('\0', at);
    if (end == std::string_view::npos) end = in.size();
    std::string_view e = in.substr(at, end - at);
    if (!e.empty() && static_cast<unsigned char>(e[0]) < 0x20)
      env.push_back(std::string(kOptions[static_cast<unsigned char>(e[0]) % kN].name) + "=" +
                    std::string(e.substr(1)));
    else if (!e.empty())
      env.emplace_back(e);
    at = end + 1;
  }
  std::vector<const char*> envp;
  for (const std::string& e : env) envp.push_back(e.c_str());
  envp.push_back(nullptr);

  Config c;
  std::memset(&c, 0xA5, sizeof c);  // nothing may be left unset
  int warnings = hakmem::parse_config_for_test(envp.data(), &c, warn_fd);
  require(warnings >= 0, "negative warning count");

  Effective eff;
  hakmem::config_for_each(c, collect, &eff);
  require(eff.next == kN, "config_for_each skipped options");
  for (unsigned i = 0; i < kN; ++i) {
    const Option& o = kOptions[i];
    const std::string& v = eff.value[i];
    unsigned src = eff.source[i];
    require(src == HAK_SEG_SOURCE_DEFAULT || src == HAK_SEG_SOURCE_PROFILE || src == HAK_SEG_SOURCE_ENV,
            "unknown source", o.name);
    if (o.kind == kInt) {
      uint64_t n = 0;
      auto r = std::from_chars(v.data(), v.data() + v.size(), n);
      require(r.ec == std::errc() && n >= o.lo && n <= o.hi, "out of its bounds", o.name);
    } else if (o.kind == kText) {
      require(v.size() < hakmem::kMaxOptionText, "text too long", o.name);
    } else {
      require(!v.empty(), "a choice without a name", o.name);
    }
    if (src == HAK_SEG_SOURCE_DEFAULT && o.def != nullptr) require(v == o.def, "default-sourced, not the default", o.name);
    std::string given;
    if (src == HAK_SEG_SOURCE_ENV) {
      require(first_value(env, o.name, &given) != nullptr, "env-sourced, not in the environment", o.name);
      require(same_value(o, v, given), "env-sourced, not the first entry's value (getenv's)", o.name);
    }
    if (src == HAK_SEG_SOURCE_PROFILE)
      require(profile_value(c.profile, o.name, &given) && same_value(o, v, given),
              "profile-sourced, not the value of the effective HAKMEM_PROFILE", o.name);
  }

  std::string out = read_all(warn_fd);
  bool strict_exit = warnings > 0 && c.strict_config == 1;  // what load_config does
  size_t lines = 0;
  for (size_t at = 0; at < out.size();) {
    size_t nl = out.find('\n', at);
    require(nl != std::string::npos, "a warning without its newline", out.substr(at));
    std::string_view line = std::string_view(out).substr(at, nl - at);
    require(line.substr(0, 15) == "hakmem: HAKMEM_", "a line that is not a whole warning", line);
    constexpr std::string_view kExit = "; HAKMEM_STRICT_CONFIG=1: exiting with status 2";
    bool says_exit = line.size() >= kExit.size() && line.substr(line.size() - kExit.size()) == kExit;
    // A kept value is the environment's text and may end like the strict line itself; a
    // lenient line that does holds "; keeping " before it.
    bool spoofed = !strict_exit && line.find("; keeping ") != std::string_view::npos;
    require(says_exit == strict_exit || spoofed, "the line says the program exits, and it does not (or the reverse)",
            line);
    ++lines;
    at = nl + 1;
  }
  size_t want = strict_exit ? (warnings > 0 ? 1 : 0) : static_cast<size_t>(warnings);
  require(lines == want, "warning lines != warnings counted", out);
  return 0;
}
