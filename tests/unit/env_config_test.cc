// HAKMEM_* parsing: defaults, accepted values, and one warning per bad value naming the
// variable while the default is kept. Also keeps the README's option table equal to the
// one generated from src/support/options.def.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

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
  std::ifstream readme(HAKMEM_README_PATH);
  ASSERT_TRUE(readme.good()) << HAKMEM_README_PATH;
  std::stringstream all;
  all << readme.rdbuf();
  std::string text = all.str();
  const std::string begin = "<!-- options:begin -->\n", end = "<!-- options:end -->";
  size_t b = text.find(begin), e = text.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  std::string table = text.substr(b + begin.size(), e - b - begin.size());
  EXPECT_EQ(table, expected.str()) << "README.md options table is stale; replace it with:\n"
                                   << expected.str();
}
