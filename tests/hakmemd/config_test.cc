// hakmemd's config parser in process: what tests/fuzz/config_fuzz found, kept as regression
// cases beside the end-to-end refusals of tests/e2e/config_test.py.
#include <gtest/gtest.h>

#include <string>

#include "config.h"

namespace {

using namespace hakmem::daemon;

// A number beyond a double's range is nlohmann's out_of_range, not parse_error: it escaped
// parse_config and terminated the daemon, at start or on a SIGHUP reload.
TEST(Config, NumbersOutOfADoublesRangeAreRefusedNotThrown) {
  for (const char* text : {R"({"max_processes": 1e999})", R"({"http": {"threads": -1e400}})", "1e999",
                           R"({"comm_filter": [99999999999999999999999999999e99999]})"}) {
    SCOPED_TRACE(text);
    ConfigResult r;
    ASSERT_NO_THROW(r = parse_config(text));
    EXPECT_FALSE(r.config);
    EXPECT_EQ(r.error.path, "$");
    EXPECT_NE(r.error.reason.find("not valid JSON"), std::string::npos) << r.error.reason;
  }
}

}  // namespace
