// The HTTP side: a prometheus-cpp Exposer (CivetWeb, its own threads) serving /metrics from
// the collectables it is given. Owned and called by the loop thread only; the collectables
// are called on CivetWeb's threads and must be thread-safe themselves.
//
// bind() is how the listen address changes: the new Exposer is made before the old one goes,
// so a bad new address keeps the old one serving; only when the new address collides with the
// old one (same port, another host) is the old one closed first, and restored if the new one
// still fails.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>

#include <memory>
#include <string>
#include <vector>

#include "config.h"

namespace hakmem::daemon {

class Exporter {
 public:
  explicit Exporter(std::vector<std::weak_ptr<prometheus::Collectable>> collectables)
      : collectables_(std::move(collectables)) {}

  // Serves on `address`; false (with `error` set) leaves the previous binding, if any, serving.
  bool bind(const ListenAddress& address, std::string* error);
  void close() { exposer_.reset(); }
  bool bound() const { return exposer_ != nullptr; }
  const ListenAddress& address() const { return address_; }
  // The port actually bound (differs from address().port when that was 0).
  int port() const;

 private:
  std::unique_ptr<prometheus::Exposer> make(const ListenAddress& a, std::string* error);

  std::vector<std::weak_ptr<prometheus::Collectable>> collectables_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  ListenAddress address_;
};

}  // namespace hakmem::daemon
