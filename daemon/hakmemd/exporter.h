// The HTTP side: an HttpServer serving /metrics from the collectables it is given, rendered
// afresh at every scrape in Prometheus's text format (prometheus-cpp's TextSerializer), plus a
// short index at /. Owned and called by the loop thread only; the collectables are called on
// the server's threads, several at once, and must be thread-safe themselves.
//
// bind() is how the listen address or the HTTP limits change: the new server is made before
// the old one goes, so a bad new address keeps the old one serving; only when the new address
// collides with the old one (same port) is the old one closed first, and restored if the new
// one still fails. The HttpStats outlive every server, so the hakmemd_http_* counters never
// go back.
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "http_server.h"
#include "http_stats.h"

namespace hakmem::daemon {

class Exporter {
 public:
  explicit Exporter(std::vector<std::weak_ptr<prometheus::Collectable>> collectables);

  // Serves on `address` with `limits`; false (with `error` set) leaves the previous server,
  // if any, serving.
  bool bind(const ListenAddress& address, const HttpLimits& limits, std::string* error);
  void close() { server_.reset(); }
  // The port actually bound (differs from address().port when that was 0).
  int port() const { return server_ ? server_->port() : -1; }

 private:
  std::unique_ptr<HttpServer> make(const ListenAddress& a, const HttpLimits& l, std::string* error);
  HttpResponse serve(const HttpRequest& request) const;

  std::shared_ptr<HttpStats> stats_ = std::make_shared<HttpStats>();
  std::vector<std::weak_ptr<prometheus::Collectable>> collectables_;
  std::unique_ptr<HttpServer> server_;
  ListenAddress address_;
  HttpLimits limits_;
};

}  // namespace hakmem::daemon
