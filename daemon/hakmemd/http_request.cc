// See http_request.h. RFC 9112's grammar, strictly: CRLF line ends only (a bare LF or CR is
// refused, as are obsolete line folds), a token method, an origin-form target, one space
// between the parts of the request line, and header names that are tokens.
#include "http_request.h"

#include <cctype>

namespace hakmem::daemon {

namespace {

bool is_tchar(char c) {
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return std::isalnum(static_cast<unsigned char>(c)) || kExtra.find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True when a comma-separated header value lists `option` (case-insensitively).
bool lists(std::string_view value, std::string_view option) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), option)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool parse_request_line(std::string_view line, HttpRequest* r, std::string* reason) {
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    *reason = "malformed request line";
    return false;
  }
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                   version = line.substr(sp2 + 1);
  if (!is_token(method)) {
    *reason = "malformed method";
    return false;
  }
  if (target.empty() || target.front() != '/') {
    *reason = "the target is not an absolute path";
    return false;
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      *reason = "a control character in the target";
      return false;
    }
  }
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." ||
      (version[7] != '0' && version[7] != '1')) {
    *reason = "unsupported HTTP version";
    return false;
  }
  r->method = std::string(method);
  r->path = std::string(target.substr(0, target.find('?')));
  r->minor_version = version[7] - '0';
  r->keep_alive = r->minor_version == 1;
  return true;
}

bool parse_header(std::string_view line, HttpRequest* r, bool* has_length, std::string* reason) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
    *reason = line.empty() || line.front() == ' ' || line.front() == '\t'
                  ? "obsolete header line folding"
                  : "malformed header line";
    return false;
  }
  std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
  for (char c : value) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
      *reason = "a control character in a header value";
      return false;
    }
  }
  if (iequals(name, "Content-Length")) {
    if (*has_length || value.empty() || value.size() > 18 ||
        value.find_first_not_of("0123456789") != std::string_view::npos) {
      *reason = "malformed or repeated Content-Length";
      return false;
    }
    *has_length = true;
    if (value.find_first_not_of('0') != std::string_view::npos) r->has_body = true;
  } else if (iequals(name, "Transfer-Encoding")) {
    r->has_body = true;
  } else if (iequals(name, "Connection")) {
    if (lists(value, "close")) r->keep_alive = false;
    else if (lists(value, "keep-alive")) r->keep_alive = true;
  }
  return true;
}

}  // namespace

HeadStatus parse_request_head(std::string_view bytes, HttpRequest* request, size_t* head_bytes,
                              std::string* reason) {
  size_t end = bytes.find("\r\n\r\n");
  std::string_view head = bytes.substr(0, end == std::string_view::npos ? bytes.size() : end + 2);
  // Checked on what has arrived so far too: a bad request is refused without waiting for more.
  for (size_t i = 0; i < head.size(); ++i) {
    bool crlf = head[i] == '\r' && i + 1 < head.size() && head[i + 1] == '\n';
    if ((head[i] == '\r' && !crlf && i + 1 < head.size()) || (head[i] == '\n' && (i == 0 || head[i - 1] != '\r'))) {
      *reason = "a line not ended by CRLF";
      return HeadStatus::kBad;
    }
    if (head[i] == '\0') {
      *reason = "a NUL byte in the request head";
      return HeadStatus::kBad;
    }
  }
  if (end == std::string_view::npos) return HeadStatus::kIncomplete;
  HttpRequest r;
  size_t line_end = head.find("\r\n");
  if (!parse_request_line(head.substr(0, line_end), &r, reason)) return HeadStatus::kBad;
  bool has_length = false;
  for (size_t at = line_end + 2; at < head.size();) {
    size_t next = head.find("\r\n", at);
    if (!parse_header(head.substr(at, next - at), &r, &has_length, reason)) return HeadStatus::kBad;
    at = next + 2;
  }
  *request = std::move(r);
  *head_bytes = end + 4;
  return HeadStatus::kComplete;
}

}  // namespace hakmem::daemon
