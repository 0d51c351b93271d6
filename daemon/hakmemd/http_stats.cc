// See http_stats.h.
#include "http_stats.h"

#include <prometheus/metric_family.h>

#include <string>

#include "families.h"
#include "log.h"

namespace hakmem::daemon {

namespace {

constexpr const char* kCloseNames[] = {"client",         "done",          "request_limit",
                                       "idle_timeout",   "header_timeout", "write_timeout",
                                       "evicted",        "bad_request",   "too_large",
                                       "error",          "shutdown"};
static_assert(std::size(kCloseNames) == static_cast<size_t>(HttpClose::kCount));

constexpr auto kLogEvery = std::chrono::seconds(10);

}  // namespace


bool HttpStats::misbehaviour(HttpClose why) {
  switch (why) {
    case HttpClose::kHeaderTimeout:
    case HttpClose::kWriteTimeout:
    case HttpClose::kEvicted:
    case HttpClose::kBadRequest:
    case HttpClose::kTooLarge:
      return true;
    default:
      return false;
  }
}

void HttpStats::refused() {
  refused_.fetch_add(1, std::memory_order_relaxed);
  log_pending();
}

void HttpStats::closed(HttpClose why) {
  closed_[static_cast<size_t>(why)].fetch_add(1, std::memory_order_relaxed);
  if (misbehaviour(why)) log_pending();
}

void HttpStats::responded(int status, size_t bytes) {
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  for (size_t i = 0; i < std::size(kStatuses); ++i) {
    if (kStatuses[i] == status) responses_[i].fetch_add(1, std::memory_order_relaxed);
  }
}

void HttpStats::log_pending(bool force) {
  std::lock_guard<std::mutex> g(log_mu_);
  auto now = std::chrono::steady_clock::now();
  if (!force && last_log_ != std::chrono::steady_clock::time_point{} && now - last_log_ < kLogEvery)
    return;
  std::string text;
  uint64_t refused = refused_.load(std::memory_order_relaxed);
  if (refused != logged_refused_) {
    text += std::to_string(refused - logged_refused_) + " refused at max_connections";
    logged_refused_ = refused;
  }
  for (size_t i = 0; i < logged_closed_.size(); ++i) {
    if (!misbehaviour(static_cast<HttpClose>(i))) continue;
    uint64_t n = closed_[i].load(std::memory_order_relaxed);
    if (n == logged_closed_[i]) continue;
    text += (text.empty() ? "" : ", ") + std::to_string(n - logged_closed_[i]) + " closed (" +
            kCloseNames[i] + ")";
    logged_closed_[i] = n;
  }
  if (text.empty()) return;
  last_log_ = now;
  log_warn("http: connections " + text + " since the last report (at most one line per 10 s)");
}

std::vector<prometheus::MetricFamily> HttpStats::Collect() const {
  using prometheus::MetricType;
  constexpr auto C = MetricType::Counter, G = MetricType::Gauge;
  auto d = [](const std::atomic<uint64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); };
  std::vector<prometheus::MetricFamily> out;
  uint64_t accepted = accepted_.load(std::memory_order_relaxed), closed = 0;

  add(out.emplace_back(family("hakmemd_http_connections_accepted_total", "TCP connections the HTTP server accepted", C)),
      {}, {}, static_cast<double>(accepted));
  add(out.emplace_back(family("hakmemd_http_connections_refused_total", "Connections refused (503) at http.max_connections with none waiting to evict", C)),
      {}, {}, d(refused_));
  auto& cls = out.emplace_back(family("hakmemd_http_connections_closed_total", "Accepted connections closed, by reason (timeouts, evictions and bad requests are the server cutting a client off)", C));
  for (size_t i = 0; i < closed_.size(); ++i) {
    closed += closed_[i].load(std::memory_order_relaxed);
    add(cls, {}, {{"reason", kCloseNames[i]}}, d(closed_[i]));
  }
  add(out.emplace_back(family("hakmemd_http_connections_open", "Connections open now", G)), {}, {},
      accepted >= closed ? static_cast<double>(accepted - closed) : 0);
  auto& req = out.emplace_back(family("hakmemd_http_responses_total", "HTTP responses sent, by status code", C));
  for (size_t i = 0; i < std::size(kStatuses); ++i)
    add(req, {}, {{"code", std::to_string(kStatuses[i])}}, d(responses_[i]));
  add(out.emplace_back(family("hakmemd_http_response_bytes_total", "Bytes of HTTP responses (heads and bodies) handed to the kernel", C)),
      {}, {}, d(bytes_));
  return out;
}

}  // namespace hakmem::daemon
