// The request head of HTTP/1.0 and 1.1, parsed from bytes a client sent: untrusted input, so
// every field is checked and anything unexpected is refused with the reason, never guessed.
// hakmemd serves only GET and HEAD without bodies; a head that announces a body is parsed
// (so the server can answer 413) but its body is never read.
//
// Pure functions, no I/O: the HTTP server (http_server.cc) calls them, the tests and the fuzz
// target feed them directly.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hakmem::daemon {

struct HttpRequest {
  std::string method;      // a token, e.g. "GET"
  std::string path;        // the target up to '?', starting with '/'
  int minor_version = 1;   // HTTP/1.<minor>
  bool keep_alive = true;  // 1.1 unless "Connection: close"; 1.0 only with "keep-alive"
  bool has_body = false;   // Content-Length > 0 or any Transfer-Encoding
};

enum class HeadStatus {
  kIncomplete,  // no blank line yet: read more (the caller bounds how much)
  kComplete,    // *request filled, *head_bytes = bytes up to and including the blank line
  kBad,         // *reason says what was wrong; answer 400 and close
};

HeadStatus parse_request_head(std::string_view bytes, HttpRequest* request, size_t* head_bytes,
                              std::string* reason);

}  // namespace hakmem::daemon
