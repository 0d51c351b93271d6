// HAKMEM_* parsing: defaults, accepted values, and one warning per bad value naming the
// variable while the default is kept. Also keeps the README's option table equal to the
// one generated from src/support/options.def.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "hakmem/telemetry_abi.h"

#include "support/env_config.h"

using hakmem::Config;

namespace {

struct Parsed {
  Config config;
  int warnings;
  std::string messages;
};

Parsed parse(std::initializer_list<const char*> entries) {
  std::vector<const char*> env(entries);
  env.push_back(nullptr);
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  Parsed p{};
  p.warnings = hakmem::parse_config_for_test(env.data(), &p.config, fds[1]);
  close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) p.messages.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  return p;
}

// "a|b" as "`a`, `b`": a pipe would split the Markdown table cell.
std::string listed(const std::string& choices) {
  std::string out = "`";
  for (char ch : choices) out += ch == '|' ? std::string("`, `") : std::string(1, ch);
  return out + "`";
}

std::string readme_between(const std::string& marker) {
  std::ifstream readme(HAKMEM_README_PATH);
  EXPECT_TRUE(readme.good()) << HAKMEM_README_PATH;
  std::stringstream all;
  all << readme.rdbuf();
  std::string text = all.str();
  const std::string begin = "<!-- " + marker + ":begin -->\n", end = "<!-- " + marker + ":end -->";
  size_t b = text.find(begin), e = text.find(end);
  if (b == std::string::npos || e == std::string::npos) {
    ADD_FAILURE() << "README.md has no " << begin << " ... " << end;
    return "";
  }
  return text.substr(b + begin.size(), e - b - begin.size());
}

std::string choice_list_of(const std::string& option) {
#define HAK_OPT_INT(NAME, field, def, lo, hi, doc)
#define HAK_OPT_CHOICE(NAME, field, def, choices, doc) \
  if (option == #NAME) return choices;
#define HAK_OPT_TEXT(NAME, field, def, accepted, doc)
#include "support/options.def"
#undef HAK_OPT_INT
#undef HAK_OPT_CHOICE
#undef HAK_OPT_TEXT
  return "";
}

struct Collected {
  std::map<std::string, std::string> values;
  std::map<std::string, unsigned> sources;
};

Collected collect(const Config& c) {
  Collected out;
  hakmem::config_for_each(
      c,
      [](const char* name, const char* value, unsigned source, void* ctx) {
        auto* o = static_cast<Collected*>(ctx);
        o->values[name] = value;
        o->sources[name] = source;
      },
      &out);
  return out;
}
std::map<std::string, std::string> settings_of(const Config& c) { return collect(c).values; }
std::map<std::string, unsigned> sources_of(const Config& c) { return collect(c).sources; }

}  // namespace

TEST(EnvConfig, DefaultsWithoutVariables) {
  Parsed p = parse({"PATH=/bin", "HOME=/root"});
  EXPECT_EQ(p.warnings, 0);
  EXPECT_EQ(p.config.tcache_cap, 128u);
  EXPECT_EQ(p.config.decay_ms, 250u);
  EXPECT_EQ(p.config.on_invalid_free, hakmem::kInvalidAbort);
  EXPECT_STREQ(p.config.stats_print, "0");
  EXPECT_STREQ(p.config.crash_log, "");
}

TEST(EnvConfig, ValidValuesAreTaken) {
  Parsed p = parse({"HAKMEM_TCACHE_CAP=16", "HAKMEM_ON_INVALID_FREE=ignore",
                    "HAKMEM_STATS_PRINT=/tmp/x.log", "HAKMEM_ADOPT=0", "HAKMEM_DECAY_MS=0"});
  EXPECT_EQ(p.warnings, 0) << p.messages;
  EXPECT_EQ(p.config.tcache_cap, 16u);
  EXPECT_EQ(p.config.on_invalid_free, hakmem::kInvalidIgnore);
  EXPECT_STREQ(p.config.stats_print, "/tmp/x.log");
  EXPECT_EQ(p.config.adopt, 0u);
  EXPECT_EQ(p.config.decay_ms, 0u);
}

TEST(EnvConfig, BadValuesWarnOnceAndKeepTheDefault) {
  Parsed p = parse({"HAKMEM_TCACHE_CAP=abc", "HAKMEM_DECAY_MS=99999999999",
                    "HAKMEM_ON_INVALID_FREE=maybe", "HAKMEM_POOL=-1", "HAKMEM_ADOPT=",
                    "HAKMEM_TCACHE_BYTES=18446744073709551616", "HAKMEM_NO_SUCH=1"});
  EXPECT_EQ(p.warnings, 7) << p.messages;
  EXPECT_EQ(p.config.tcache_cap, 128u);
  EXPECT_EQ(p.config.decay_ms, 250u);
  EXPECT_EQ(p.config.on_invalid_free, hakmem::kInvalidAbort);
  EXPECT_EQ(p.config.pool, 1u);
  EXPECT_EQ(p.config.adopt, 1u);
  EXPECT_EQ(p.config.tcache_bytes, 65536u);
  EXPECT_NE(p.messages.find("hakmem: HAKMEM_TCACHE_CAP=abc: not a non-negative integer; keeping default 128\n"),
            std::string::npos) << p.messages;
  EXPECT_NE(p.messages.find("HAKMEM_DECAY_MS=99999999999: out of range [0, 3600000]; keeping default 250"),
            std::string::npos) << p.messages;
  EXPECT_NE(p.messages.find("HAKMEM_ON_INVALID_FREE=maybe: not one of abort|ignore"), std::string::npos);
  EXPECT_NE(p.messages.find("HAKMEM_NO_SUCH=1: unknown HAKMEM_ variable, ignored"), std::string::npos);
}

TEST(EnvConfig, StrictModeRefusesWithOneLine) {
  Parsed p = parse({"HAKMEM_TCACHE_CAP=abc", "HAKMEM_NO_SUCH=1", "HAKMEM_STRICT_CONFIG=1"});
  EXPECT_EQ(p.warnings, 2);  // both refused, the first one written
  EXPECT_EQ(p.config.strict_config, 1u);
  EXPECT_EQ(p.messages,
            "hakmem: HAKMEM_TCACHE_CAP=abc: not a non-negative integer; accepted: an integer in "
            "[1, 1024]; HAKMEM_STRICT_CONFIG=1: exiting with status 2\n");
  p = parse({"HAKMEM_STRICT_CONFIG=1", "HAKMEM_NO_SUCH=1"});
  EXPECT_EQ(p.messages,
            "hakmem: HAKMEM_NO_SUCH=1: unknown HAKMEM_ variable; accepted: only the variables of "
            "the README's table (HAKMEM_STRICT_CONFIG=1 refuses the rest); HAKMEM_STRICT_CONFIG=1: "
            "exiting with status 2\n");
  p = parse({"HAKMEM_STRICT_CONFIG=1", "HAKMEM_TCACHE_CAP=64"});
  EXPECT_EQ(p.warnings, 0) << p.messages;
  EXPECT_EQ(p.config.tcache_cap, 64u);
  // Only the exact value 1 is strict; another value is a bad value like any other.
  p = parse({"HAKMEM_STRICT_CONFIG=yes", "HAKMEM_TCACHE_CAP=abc"});
  EXPECT_EQ(p.warnings, 2);
  EXPECT_EQ(p.config.strict_config, 0u);
  EXPECT_NE(p.messages.find("keeping default 128"), std::string::npos) << p.messages;
}

// Found by tests/fuzz/env_config_fuzz. A variable set twice counts as its first entry, as
// getenv reads it: the walk used to apply the last one while HAKMEM_PROFILE and
// HAKMEM_STRICT_CONFIG were judged by their first, so the recorded profile could be another
// than the one applied, and strict mode could say "exiting" without exiting.
TEST(EnvConfig, AVariableSetTwiceCountsAsItsFirstEntry) {
  Parsed p = parse({"HAKMEM_TCACHE_CAP=64", "HAKMEM_TCACHE_CAP=32"});
  EXPECT_EQ(p.config.tcache_cap, 64u);
  EXPECT_EQ(p.warnings, 1);
  EXPECT_EQ(p.messages,
            "hakmem: HAKMEM_TCACHE_CAP=32: set again in the environment, ignored; keeping the first, "
            "HAKMEM_TCACHE_CAP=64\n");
  p = parse({"HAKMEM_PROFILE=low-memory", "HAKMEM_PROFILE=throughput"});
  EXPECT_EQ(std::string(hakmem::kProfiles[p.config.profile].name), "low-memory");
  EXPECT_EQ(p.config.tcache_cap, 32u);  // low-memory's
  p = parse({"HAKMEM_STRICT_CONFIG=0", "HAKMEM_STRICT_CONFIG=1", "HAKMEM_TCACHE_CAP=abc"});
  EXPECT_EQ(p.config.strict_config, 0u);  // not strict: every warning written, no exit
  EXPECT_EQ(p.warnings, 2);
  EXPECT_EQ(p.messages.find("exiting"), std::string::npos) << p.messages;
  p = parse({"HAKMEM_STRICT_CONFIG=1", "HAKMEM_STRICT_CONFIG=0"});
  EXPECT_EQ(p.config.strict_config, 1u);  // strict, and the refusal says so: load_config exits
  EXPECT_EQ(p.warnings, 1);
  EXPECT_NE(p.messages.find("exiting with status 2\n"), std::string::npos) << p.messages;
  // A bad value keeps the profile's 1: strict, and the refusal says so.
  p = parse({"HAKMEM_PROFILE=debug", "HAKMEM_STRICT_CONFIG=yes"});
  EXPECT_EQ(p.config.strict_config, 1u);
  EXPECT_EQ(p.warnings, 1);
  EXPECT_NE(p.messages.find("HAKMEM_STRICT_CONFIG=yes: not a non-negative integer; accepted:"), std::string::npos)
      << p.messages;
}

// Found by tests/fuzz/env_config_fuzz: a value holding a newline split its warning in two,
// and one longer than the line buffer lost the newline, running into the next warning.
TEST(EnvConfig, AWarningIsOneLineWhateverTheValue) {
  std::string long_value = "HAKMEM_DECAY_MS=" + std::string(2000, '7');
  Parsed p = parse({"HAKMEM_TCACHE_CAP=1\n2", long_value.c_str(), "HAKMEM_POOL=\x1b[1m"});
  EXPECT_EQ(p.warnings, 3);
  EXPECT_EQ(std::count(p.messages.begin(), p.messages.end(), '\n'), 3) << p.messages;
  EXPECT_EQ(p.messages.find('\x1b'), std::string::npos) << p.messages;
  EXPECT_NE(p.messages.find("HAKMEM_TCACHE_CAP=1\\x0a2: not a non-negative integer"), std::string::npos)
      << p.messages;
  EXPECT_NE(p.messages.find("777...: not a non-negative integer"), std::string::npos) << p.messages;
  EXPECT_LT(p.messages.size(), 1200u);
}

TEST(EnvConfig, ReadmeTableMatchesTheOptionList) {
  std::ostringstream expected;
  expected << "| variable | default | accepted | effect |\n| --- | --- | --- | --- |\n";
#define HAK_OPT_INT(NAME, field, def, lo, hi, doc) \
  expected << "| `HAKMEM_" #NAME "` | " << def << " | " << lo << " to " << hi << " | " << doc << " |\n";
#define HAK_OPT_CHOICE(NAME, field, def, choices, doc)                                     \
  {                                                                                        \
    std::string c = choices;                                                               \
    size_t at = 0;                                                                         \
    for (int i = 0; i < def; ++i) at = c.find('|', at) + 1;                                \
    expected << "| `HAKMEM_" #NAME "` | " << c.substr(at, c.find('|', at) - at) << " | "   \
             << listed(c) << " | " << doc << " |\n";                                       \
  }
#define HAK_OPT_TEXT(NAME, field, def, accepted, doc) \
  expected << "| `HAKMEM_" #NAME "` | \"" def "\" | " << accepted << " | " << doc << " |\n";
#include "support/options.def"
#undef HAK_OPT_INT
#undef HAK_OPT_CHOICE
#undef HAK_OPT_TEXT
  EXPECT_EQ(readme_between("options"), expected.str()) << "README.md options table is stale; replace it with:\n"
                                                      << expected.str();
}

// HAKMEM_PROFILE's choices are profiles.def's names, in order; every preset parses without a
// warning and sets what it lists (source profile), nothing else.
TEST(EnvConfig, EveryProfileExpandsToItsValues) {
  std::string names;
  for (unsigned i = 0; i < hakmem::kNumProfiles; ++i) names += (i ? "|" : "") + std::string(hakmem::kProfiles[i].name);
  Parsed defaults = parse({});
  const std::string choices = choice_list_of("PROFILE");
  EXPECT_EQ(names, choices);
  for (unsigned i = 0; i < hakmem::kNumProfiles; ++i) {
    const hakmem::Profile& prof = hakmem::kProfiles[i];
    std::string var = std::string("HAKMEM_PROFILE=") + prof.name;
    Parsed p = parse({var.c_str()});
    EXPECT_EQ(p.warnings, 0) << prof.name << ": " << p.messages;
    EXPECT_EQ(p.config.profile, i);
    std::map<std::string, std::string> got = settings_of(p.config), base = settings_of(defaults.config);
    std::map<std::string, std::string> listed_values;
    std::istringstream entries(prof.entries);
    for (std::string e; entries >> e;) listed_values[e.substr(0, e.find('='))] = e.substr(e.find('=') + 1);
    for (const auto& [name, value] : got) {
      unsigned source = sources_of(p.config)[name];
      if (name == "HAKMEM_PROFILE") {
        EXPECT_EQ(source, unsigned{HAK_SEG_SOURCE_ENV});
      } else if (listed_values.count(name)) {
        EXPECT_EQ(value, listed_values[name]) << prof.name << " " << name;
        EXPECT_EQ(source, unsigned{HAK_SEG_SOURCE_PROFILE}) << prof.name << " " << name;
      } else {
        EXPECT_EQ(value, base[name]) << prof.name << " " << name;
        EXPECT_EQ(source, unsigned{HAK_SEG_SOURCE_DEFAULT}) << prof.name << " " << name;
      }
    }
    for (const auto& [name, value] : listed_values) EXPECT_TRUE(got.count(name)) << prof.name << ": " << name;
  }
}

// Defaults, then the profile, then the environment: a variable set explicitly wins, whatever
// its place in the environment; a bad one keeps its profile's value and says so.
TEST(EnvConfig, ExplicitVariablesOverrideTheProfile) {
  Parsed p = parse({"HAKMEM_TCACHE_CAP=64", "HAKMEM_PROFILE=throughput", "HAKMEM_DECAY_MS=oops"});
  EXPECT_EQ(p.config.tcache_cap, 64u);
  EXPECT_EQ(sources_of(p.config)["HAKMEM_TCACHE_CAP"], unsigned{HAK_SEG_SOURCE_ENV});
  EXPECT_EQ(p.config.tcache_bytes, 262144u);
  EXPECT_EQ(sources_of(p.config)["HAKMEM_TCACHE_BYTES"], unsigned{HAK_SEG_SOURCE_PROFILE});
  EXPECT_EQ(p.config.decay_ms, 1000u);
  EXPECT_EQ(sources_of(p.config)["HAKMEM_DECAY_MS"], unsigned{HAK_SEG_SOURCE_PROFILE});
  EXPECT_EQ(sources_of(p.config)["HAKMEM_ADOPT"], unsigned{HAK_SEG_SOURCE_DEFAULT});
  EXPECT_EQ(p.warnings, 1);
  EXPECT_NE(p.messages.find("HAKMEM_DECAY_MS=oops: not a non-negative integer; keeping 1000 from HAKMEM_PROFILE"),
            std::string::npos) << p.messages;

  Parsed bad = parse({"HAKMEM_PROFILE=fast"});
  EXPECT_EQ(bad.warnings, 1);
  EXPECT_EQ(bad.config.profile, 0u);
  EXPECT_EQ(bad.config.tcache_cap, 128u);
  EXPECT_NE(bad.messages.find("HAKMEM_PROFILE=fast: not one of balanced|throughput|low-memory|low-latency|debug"),
            std::string::npos) << bad.messages;
}

// The debug profile turns strict mode on; HAKMEM_STRICT_CONFIG=0 set explicitly turns it off.
TEST(EnvConfig, DebugProfileIsStrictUnlessTheVariableSaysNot) {
  Parsed strict = parse({"HAKMEM_PROFILE=debug", "HAKMEM_TCACHE_CAP=0", "HAKMEM_ADOPT=2"});
  EXPECT_EQ(strict.config.strict_config, 1u);
  EXPECT_EQ(strict.config.checks, 1u);
  EXPECT_EQ(strict.warnings, 2);
  EXPECT_NE(strict.messages.find("HAKMEM_STRICT_CONFIG=1: exiting with status 2"), std::string::npos);
  Parsed lax = parse({"HAKMEM_PROFILE=debug", "HAKMEM_STRICT_CONFIG=0", "HAKMEM_TCACHE_CAP=0"});
  EXPECT_EQ(lax.config.strict_config, 0u);
  EXPECT_NE(lax.messages.find("keeping 16 from HAKMEM_PROFILE"), std::string::npos) << lax.messages;
}

// config/profiles/<name>.env: each profile's expansion as a file to source or to pass to
// systemd's EnvironmentFile=, generated from profiles.def and kept equal by this test.
TEST(EnvConfig, ProfileFilesMatchTheList) {
  for (unsigned i = 0; i < hakmem::kNumProfiles; ++i) {
    const hakmem::Profile& p = hakmem::kProfiles[i];
    std::ostringstream expected;
    expected << "# HAKMEM_PROFILE=" << p.name << ": " << p.purpose << ".\n"
             << "# Generated from src/support/profiles.def (a unit test keeps it equal). Setting\n"
             << "# HAKMEM_PROFILE=" << p.name << " does the same; these lines spell it out.\n"
             << "HAKMEM_PROFILE=" << p.name << "\n";
    std::istringstream entries(p.entries);
    for (std::string e; entries >> e;) expected << e << "\n";
    std::string path = std::string(HAKMEM_PROFILES_DIR) + "/" + p.name + ".env";
    std::ifstream f(path);
    std::stringstream got;
    got << f.rdbuf();
    EXPECT_EQ(got.str(), expected.str()) << path << " is stale or missing; it should read:\n" << expected.str();
  }
  // And nothing else: a file there that is no profile would be installed as one.
  for (const auto& entry : std::filesystem::directory_iterator(HAKMEM_PROFILES_DIR)) {
    std::string name = entry.path().stem().string();
    bool known = false;
    for (unsigned i = 0; i < hakmem::kNumProfiles; ++i) known |= name == hakmem::kProfiles[i].name;
    EXPECT_TRUE(known && entry.path().extension() == ".env") << entry.path() << " is not a profile of profiles.def";
  }
}

// The README's profile table is generated from profiles.def.
TEST(EnvConfig, ReadmeProfileTableMatchesTheList) {
  std::ostringstream expected;
  expected << "| profile | for | sets |\n| --- | --- | --- |\n";
  for (unsigned i = 0; i < hakmem::kNumProfiles; ++i) {
    const hakmem::Profile& p = hakmem::kProfiles[i];
    std::string sets;
    std::istringstream entries(p.entries);
    for (std::string e; entries >> e;) sets += (sets.empty() ? "`" : ", `") + e + "`";
    expected << "| `" << p.name << "` | " << p.purpose << " | " << (sets.empty() ? "nothing" : sets) << " |\n";
  }
  EXPECT_EQ(readme_between("profiles"), expected.str()) << "README.md profile table is stale; replace it with:\n"
                                                       << expected.str();
}
