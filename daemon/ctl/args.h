// hakmemctl's command line after the command word: positional arguments and --options, each
// option declared by the command with whether it takes a value. A mistake is a UsageError
// (exit code 2), thrown here and caught once in main: the only exception of the tool.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hakmem::ctl {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;  // "--dir"
  bool takes_value;
};

class Args {
 public:
  // Parses argv[first..argc). "--name=value" and "--name value" both work.
  Args(int argc, char** argv, int first, const std::vector<OptionSpec>& specs);

  const std::vector<std::string>& positional() const { return positional_; }
  bool flag(const std::string& name) const { return values_.count(name) != 0; }
  std::optional<std::string> value(const std::string& name) const;

  // Between `min` and `max` positionals, else a UsageError naming `what`.
  void expect_positional(std::size_t min, std::size_t max, const char* what) const;
  // Option parsed as a number in [lo, hi]; `fallback` when absent.
  double number(const std::string& name, double fallback, double lo, double hi) const;
  long integer(const std::string& name, long fallback, long lo, long hi) const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> values_;
};

// A pid argument: a positive decimal integer, else a UsageError.
int parse_pid(const std::string& text);
// True when `text` is all digits (a pid rather than a file name).
bool looks_like_pid(const std::string& text);

}  // namespace hakmem::ctl
