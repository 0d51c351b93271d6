// See format.h.
#include "format.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace hakmem::ctl {

void Table::print(std::ostream& out, const std::string& indent) const {
  std::vector<std::size_t> width(header_.size(), 0);
  auto widen = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], cells[i].size());
  };
  widen(header_);
  for (const auto& r : rows_) widen(r);
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s = indent;
    for (std::size_t i = 0; i < width.size(); ++i) {
      const std::string& c = i < cells.size() ? cells[i] : std::string();
      std::string pad(width[i] - std::min(width[i], c.size()), ' ');
      if (i > 0) s += "  ";
      bool left = i < align_.size() && align_[i] == 'l';
      s += left ? c + (i + 1 < width.size() ? pad : "") : pad + c;
    }
    out << s << '\n';
  };
  line(header_);
  for (const auto& r : rows_) line(r);
}

void Table::print_or(std::ostream& out, const std::string& indent, const char* none) const {
  if (rows_.empty())
    out << indent << none << '\n';
  else
    print(out, indent);
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string num(uint64_t v) { return std::to_string(v); }

std::string fixed(double v, int decimals) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string percent(double v) { return fixed(v, 1) + "%"; }

std::string bytes_human(uint64_t v) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (v < 1024) return std::to_string(v) + " B";
  double d = static_cast<double>(v);
  int u = 0;
  while (d >= 1024.0 && u < 5) {
    d /= 1024.0;
    ++u;
  }
  return fixed(d, d < 10 ? 2 : 1) + " " + kUnits[u];
}

std::string duration_ns(uint64_t ns) {
  if (ns < 1000) return std::to_string(ns) + " ns";
  double d = static_cast<double>(ns);
  if (ns < 1000000) return fixed(d / 1e3, 1) + " us";
  if (ns < 1000000000) return fixed(d / 1e6, 2) + " ms";
  return fixed(d / 1e9, 2) + " s";
}

std::string duration_s(double seconds) {
  auto s = static_cast<uint64_t>(seconds < 0 ? 0 : seconds);
  char buf[64];
  if (s < 60)
    snprintf(buf, sizeof buf, "%" PRIu64 " s", s);
  else if (s < 3600)
    snprintf(buf, sizeof buf, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
  else if (s < 86400)
    snprintf(buf, sizeof buf, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
  else
    snprintf(buf, sizeof buf, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s / 3600 % 24);
  return buf;
}

}  // namespace hakmem::ctl
