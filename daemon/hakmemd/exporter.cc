// See exporter.h.
#include "exporter.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace hakmem::daemon {

Exporter::Exporter(std::vector<std::weak_ptr<prometheus::Collectable>> collectables)
    : collectables_(std::move(collectables)) {
  collectables_.push_back(stats_);
}

std::unique_ptr<HttpServer> Exporter::make(const ListenAddress& a, const HttpLimits& l,
                                           std::string* error) {
  return HttpServer::listen(
      a, l, [this](const HttpRequest& r) { return serve(r); }, stats_, error);
}

HttpResponse Exporter::serve(const HttpRequest& request) const {
  if (request.path == "/metrics") {
    std::vector<prometheus::MetricFamily> families;
    for (const auto& weak : collectables_) {
      if (auto c = weak.lock()) {
        auto f = c->Collect();
        families.insert(families.end(), std::make_move_iterator(f.begin()),
                        std::make_move_iterator(f.end()));
      }
    }
    std::ostringstream text;
    prometheus::TextSerializer().Serialize(text, families);
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                        std::make_shared<const std::string>(std::move(text).str())};
  }
  if (request.path == "/") {
    return HttpResponse{200, "text/plain; charset=utf-8",
                        std::make_shared<const std::string>(
                            "hakmemd: the allocator telemetry of this host's HAKMEM processes "
                            "is at /metrics\n")};
  }
  return HttpResponse{404, "text/plain; charset=utf-8",
                      std::make_shared<const std::string>("hakmemd: not found; try /metrics\n")};
}

bool Exporter::bind(const ListenAddress& address, const HttpLimits& limits, std::string* error) {
  if (server_ && address == address_ && limits == limits_) return true;
  auto fresh = make(address, limits, error);
  if (!fresh && server_ && address.port == address_.port && address.port != 0) {
    // The old socket may hold the port the new address needs.
    server_.reset();
    fresh = make(address, limits, error);
    if (!fresh) {
      std::string ignored;
      server_ = make(address_, limits_, &ignored);
      return false;
    }
  }
  if (!fresh) return false;
  server_ = std::move(fresh);
  address_ = address;
  limits_ = limits;
  return true;
}

}  // namespace hakmem::daemon
