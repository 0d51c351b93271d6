// Input of the g++ preload test (run_gxx.sh), compiled there and never linked into anything.
// Chosen to make cc1plus allocate heavily: <regex>, <map>, <unordered_map>, <variant>,
// <ranges> and iostreams instantiate thousands of templates, and constexpr evaluation and
// -O2 inlining keep the compiler's trees and bitmaps busy (~7 s on one core).
#include <algorithm>
#include <functional>
#include <map>
#include <numeric>
#include <ranges>
#include <regex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace workload {

using Value = std::variant<long, double, std::string, std::vector<int>>;

template <int N>
struct Fib {
  static constexpr long value = Fib<N - 1>::value + Fib<N - 2>::value;
};
template <>
struct Fib<1> {
  static constexpr long value = 1;
};
template <>
struct Fib<0> {
  static constexpr long value = 0;
};

constexpr long collatz_steps(long n) {
  long steps = 0;
  while (n != 1) {
    n = (n % 2 == 0) ? n / 2 : 3 * n + 1;
    ++steps;
  }
  return steps;
}

constexpr long sum_collatz(int limit) {
  long total = 0;
  for (int i = 1; i < limit; ++i) total += collatz_steps(i);
  return total;
}

static_assert(Fib<80>::value == 23416728348467685L);
static_assert(sum_collatz(3000) > 0);

std::string describe(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        std::ostringstream out;
        if constexpr (std::is_same_v<T, std::vector<int>>) {
          out << "vec[" << x.size() << "]:" << std::accumulate(x.begin(), x.end(), 0L);
        } else {
          out << x;
        }
        return out.str();
      },
      v);
}

std::map<std::string, std::vector<Value>> group_words(const std::string& text) {
  static const std::regex word(R"(([a-z]+)(\d*))");
  std::map<std::string, std::vector<Value>> groups;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), word); it != std::sregex_iterator();
       ++it) {
    const std::smatch& m = *it;
    auto& slot = groups[m[1].str()];
    if (m[2].length() > 0) {
      slot.emplace_back(std::stol(m[2].str()));
    } else {
      slot.emplace_back(m[1].str());
    }
  }
  return groups;
}

std::unordered_map<long, std::function<long(long)>> make_ops() {
  std::unordered_map<long, std::function<long(long)>> ops;
  for (long k = 0; k < 8; ++k) {
    ops.emplace(k, [k](long x) { return x * (k + 1) + Fib<40>::value % (k + 3); });
  }
  return ops;
}

std::vector<long> pipeline(std::vector<long> in) {
  auto ops = make_ops();
  auto evens = in | std::views::filter([](long x) { return x % 2 == 0; }) |
               std::views::transform([&](long x) { return ops.at(x % 8)(x); });
  std::vector<long> out(evens.begin(), evens.end());
  std::ranges::sort(out, std::greater<>());
  return out;
}

}  // namespace workload

int workload_entry(int argc, char** argv) {
  std::string text;
  for (int i = 0; i < argc; ++i) text += std::string(argv[i]) + " ";
  auto groups = workload::group_words(text);
  long total = 0;
  for (const auto& [key, values] : groups) {
    for (const auto& v : values) total += static_cast<long>(workload::describe(v).size());
  }
  std::vector<long> in(static_cast<size_t>(argc) * 10);
  std::iota(in.begin(), in.end(), 0L);
  for (long x : workload::pipeline(in)) total ^= x;
  return static_cast<int>(total + workload::sum_collatz(100));
}
