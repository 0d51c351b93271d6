// See args.h.
#include "args.h"

#include <cerrno>
#include <cstdlib>

namespace hakmem::ctl {

Args::Args(int argc, char** argv, int first, const std::vector<OptionSpec>& specs) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() < 2 || a[0] != '-' || a == "--") {
      positional_.push_back(a);
      continue;
    }
    std::string name = a, value;
    bool inline_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) throw UsageError("unknown option " + name);
    if (spec->takes_value && !inline_value) {
      if (i + 1 >= argc) throw UsageError(name + " needs a value");
      value = argv[++i];
    } else if (!spec->takes_value && inline_value) {
      throw UsageError(name + " takes no value");
    }
    values_[name] = value;
  }
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

void Args::expect_positional(std::size_t min, std::size_t max, const char* what) const {
  if (positional_.size() < min) throw UsageError(std::string("missing ") + what);
  if (positional_.size() > max) throw UsageError("unexpected argument '" + positional_[max] + "'");
}

double Args::number(const std::string& name, double fallback, double lo, double hi) const {
  auto v = value(name);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  double d = strtod(v->c_str(), &end);
  if (v->empty() || *end != '\0' || errno != 0 || !(d >= lo && d <= hi))
    throw UsageError(name + " wants a number in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                     "], not '" + *v + "'");
  return d;
}

long Args::integer(const std::string& name, long fallback, long lo, long hi) const {
  auto v = value(name);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  long n = strtol(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno != 0 || n < lo || n > hi)
    throw UsageError(name + " wants a whole number in [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "], not '" + *v + "'");
  return n;
}

bool looks_like_pid(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int parse_pid(const std::string& text) {
  if (!looks_like_pid(text) || text.size() > 10 || text[0] == '0' || std::stoll(text) > 0x7fffffff)
    throw UsageError("'" + text + "' is not a pid (a positive decimal number)");
  return static_cast<int>(std::stoll(text));
}

}  // namespace hakmem::ctl
