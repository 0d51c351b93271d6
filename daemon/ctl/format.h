// Text output helpers of hakmemctl: aligned tables and human units. Output only; no state.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace hakmem::ctl {

// Columns sized to their widest cell. `align` has one letter per column, 'l' for left, else
// right; missing letters mean right.
class Table {
 public:
  explicit Table(std::vector<std::string> header, std::string align = "l")
      : header_(std::move(header)), align_(std::move(align)) {}
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  bool empty() const { return rows_.empty(); }
  void print(std::ostream& out, const std::string& indent = "") const;
  // print(), or `indent` + `none` on a line of its own when there are no rows.
  void print_or(std::ostream& out, const std::string& indent, const char* none) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::string align_;
};

// Text from a segment (comm, settings) made safe for a terminal: bytes outside printable
// ASCII become \xNN, so a hostile segment cannot send escape sequences.
std::string printable(std::string_view text);

std::string num(uint64_t v);                  // 1234567
std::string fixed(double v, int decimals);    // 12.50
std::string percent(double v);               // 12.5%
std::string bytes_human(uint64_t v);         // 1.5 MiB, 512 B
std::string duration_ns(uint64_t ns);        // 350 ns, 12.0 us, 1.50 ms, 2.00 s
std::string duration_s(double seconds);      // 42 s, 3m05s, 2h07m, 3d04h

// "a/b/c" of a list's names or values, one cell for a short list (HAK_CACHE_RESIZES).
template <typename List>
std::string slashed(const List& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += "/";
    if constexpr (std::is_integral_v<std::decay_t<decltype(item)>>) out += num(item);
    else out += std::string(item);
  }
  return out;
}

}  // namespace hakmem::ctl
