// hakmemd's HTTP/1.1 server, on Boost.Asio: every socket is asynchronous and `threads` threads
// run the handlers, so a connection costs the daemon an fd, a buffer of max_request_bytes and
// its response while it is written, and never a thread, whatever its client does (connects
// and sends nothing, sends a byte a second, sends garbage, reads a byte a second, or opens
// hundreds of connections). Each bound of HttpLimits is enforced here:
//   - a request head must be complete within header_timeout_seconds of the accept (or of its
//     first byte, on a kept-alive connection) and within max_request_bytes: else 431 / closed;
//   - a kept-alive connection waits idle_timeout_seconds for its next request, and serves at
//     most max_requests_per_connection;
//   - a response must be taken by the client within write_timeout_seconds, through a socket
//     send buffer of send_buffer_bytes;
//   - at max_connections the connection that has waited longest for its request is closed to
//     make room (evicted), else the one whose response has been stuck longest, if over 1 s;
//     only when every connection is busy with a request of its own is the new one refused
//     with a 503.
// Every end of a connection is counted in HttpStats by its reason.
//
// Why not prometheus-cpp's Exposer (CivetWeb): it gives each connection a worker thread from
// accept to close, so as many idle sockets as it has threads stop every scrape, and it neither
// caps connections apart from threads nor reports what it cut off.
//
// The handler runs on a serving thread, one request at a time per connection; it must be
// thread-safe (several connections call it at once).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config.h"
#include "http_request.h"
#include "http_stats.h"

namespace hakmem::daemon {

struct HttpResponse {
  int status = 200;  // one of HttpStats::kStatuses
  std::string content_type = "text/plain; charset=utf-8";
  std::shared_ptr<const std::string> body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Listening and serving on return; nullptr with `error` set when the address cannot be
  // bound.
  static std::unique_ptr<HttpServer> listen(const ListenAddress& address, const HttpLimits& limits,
                                            Handler handler, std::shared_ptr<HttpStats> stats,
                                            std::string* error);
  // Stops accepting, ends every connection (counted as shutdown) and joins the threads.
  ~HttpServer();

  int port() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hakmem::daemon
