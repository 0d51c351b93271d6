// libFuzzer target for hakmemd's HTTP request-head parser (daemon/hakmemd/http_request.cc):
// whatever bytes a client sends, the parser returns one of its three answers without a crash,
// and a complete head is consistent with the bytes it came from.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hakmem::daemon;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  HttpRequest r;
  size_t head = 0;
  std::string reason;
  switch (parse_request_head(bytes, &r, &head, &reason)) {
    case HeadStatus::kComplete:
      if (head < 4 || head > size || bytes.substr(head - 4, 4) != "\r\n\r\n") abort();
      if (r.path.empty() || r.path[0] != '/' || r.method.empty()) abort();
      if (r.minor_version != 0 && r.minor_version != 1) abort();
      break;
    case HeadStatus::kBad:
      if (reason.empty()) abort();
      break;
    case HeadStatus::kIncomplete:
      if (bytes.find("\r\n\r\n") != std::string_view::npos) abort();
      break;
  }
  return 0;
}
