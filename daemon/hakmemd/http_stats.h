// What the HTTP server did, as the hakmemd_http_* families, and the rate-limited log of what
// it refused or cut off. One HttpStats lives as long as the daemon: a rebind or a reload makes
// a new server but keeps counting here, so the counters never go back.
//
// Invariant: accepted = open + sum(closed{reason}); refused connections are never accepted.
// Thread-safety: every method may be called from any thread at once (relaxed atomics; the
// log's bookkeeping under a mutex).
#pragma once

#include <prometheus/collectable.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

namespace hakmem::daemon {

// Why a connection ended: the `reason` label of hakmemd_http_connections_closed_total.
enum class HttpClose : unsigned {
  kClient,         // the client closed it or reset it
  kDone,           // the client asked for close (Connection: close, HTTP/1.0)
  kRequestLimit,   // max_requests_per_connection answered
  kIdleTimeout,    // keep-alive: no next request within idle_timeout_seconds
  kHeaderTimeout,  // a request head not complete within header_timeout_seconds
  kWriteTimeout,   // a response not taken within write_timeout_seconds
  kEvicted,        // closed to make room at max_connections (it waited longest)
  kBadRequest,     // malformed, a body, or a method other than GET/HEAD (answered, then closed)
  kTooLarge,       // request head over max_request_bytes (answered 431, then closed)
  kError,          // a socket error
  kShutdown,       // the server stopped (SIGTERM, rebind)
  kCount
};

class HttpStats : public prometheus::Collectable {
 public:
  void accepted() { accepted_.fetch_add(1, std::memory_order_relaxed); }
  // Over the cap with nothing to evict: answered 503 and closed without being accepted.
  void refused();
  void closed(HttpClose why);
  void responded(int status, size_t bytes);
  std::vector<prometheus::MetricFamily> Collect() const override;
  // Logs, in one warn line, what was refused or cut off since the last such line, if anything
  // was and the last line is 10 s old (force: whatever the age). Called after each such event
  // and by the server's 10 s timer, so a burst gives one line at once and one per 10 s.
  void log_pending(bool force = false);

  static constexpr int kStatuses[] = {200, 400, 404, 405, 413, 431, 500, 503};

 private:
  static bool misbehaviour(HttpClose why);

  std::atomic<uint64_t> accepted_{0}, refused_{0}, bytes_{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(HttpClose::kCount)> closed_{};
  std::array<std::atomic<uint64_t>, std::size(kStatuses)> responses_{};

  std::mutex log_mu_;
  std::chrono::steady_clock::time_point last_log_{};
  // Counts at the last log line: what a new line reports is the difference.
  std::array<uint64_t, static_cast<size_t>(HttpClose::kCount)> logged_closed_{};
  uint64_t logged_refused_ = 0;
};


}  // namespace hakmem::daemon
