// See exporter.h.
#include "exporter.h"

#include <exception>

namespace hakmem::daemon {

std::unique_ptr<prometheus::Exposer> Exporter::make(const ListenAddress& a, std::string* error) {
  // Two threads: Prometheus and a curl at the same time; a scrape is short.
  std::vector<std::string> options = {"listening_ports", a.civet(), "num_threads", "2",
                                      "request_timeout_ms", "10000"};
  try {
    auto e = std::make_unique<prometheus::Exposer>(options);
    if (e->GetListeningPorts().empty()) {
      *error = "cannot listen on " + a.civet();
      return nullptr;
    }
    for (const auto& c : collectables_) e->RegisterCollectable(c);
    return e;
  } catch (const std::exception& ex) {
    *error = "cannot listen on " + a.civet() + ": " + ex.what();
    return nullptr;
  }
}

bool Exporter::bind(const ListenAddress& address, std::string* error) {
  if (exposer_ && address == address_) return true;
  auto fresh = make(address, error);
  if (!fresh && exposer_ && address.port == address_.port && address.port != 0) {
    // The old socket may hold the port the new address needs.
    exposer_.reset();
    fresh = make(address, error);
    if (!fresh) {
      std::string ignored;
      exposer_ = make(address_, &ignored);
      return false;
    }
  }
  if (!fresh) return false;
  exposer_ = std::move(fresh);
  address_ = address;
  return true;
}

int Exporter::port() const {
  if (!exposer_) return -1;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? -1 : ports.front();
}

}  // namespace hakmem::daemon
