// See http_stats.h.
#include "http_stats.h"

#include <prometheus/metric_family.h>

#include <string>

#include "log.h"

namespace hakmem::daemon {

namespace {

constexpr const char* kCloseNames[] = {"client",         "done",          "request_limit",
                                       "idle_timeout",   "header_timeout", "write_timeout",
                                       "evicted",        "bad_request",   "too_large",
                                       "error",          "shutdown"};
static_assert(std::size(kCloseNames) == static_cast<size_t>(HttpClose::kCount));

constexpr auto kLogEvery = std::chrono::seconds(10);

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType t) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = t;
  return f;
}

prometheus::ClientMetric value(double v, prometheus::MetricType t,
                               std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  if (t == prometheus::MetricType::Counter) m.counter.value = v; else m.gauge.value = v;
  return m;
}

}  // namespace

const char* http_close_name(HttpClose why) { return kCloseNames[static_cast<size_t>(why)]; }

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
  std::vector<prometheus::MetricFamily> out;
  uint64_t accepted = accepted_.load(std::memory_order_relaxed), closed = 0;

  auto& acc = out.emplace_back(family("hakmemd_http_connections_accepted_total", "TCP connections the HTTP server accepted", C));
  acc.metric.push_back(value(static_cast<double>(accepted), C));
  auto& ref = out.emplace_back(family("hakmemd_http_connections_refused_total", "Connections refused (503) at http.max_connections with none waiting to evict", C));
  ref.metric.push_back(value(static_cast<double>(refused_.load(std::memory_order_relaxed)), C));
  auto& cls = out.emplace_back(family("hakmemd_http_connections_closed_total", "Accepted connections closed, by reason (timeouts, evictions and bad requests are the server cutting a client off)", C));
  for (size_t i = 0; i < closed_.size(); ++i) {
    uint64_t n = closed_[i].load(std::memory_order_relaxed);
    closed += n;
    cls.metric.push_back(value(static_cast<double>(n), C, {{"reason", kCloseNames[i]}}));
  }
  auto& open = out.emplace_back(family("hakmemd_http_connections_open", "Connections open now", G));
  open.metric.push_back(value(accepted >= closed ? static_cast<double>(accepted - closed) : 0, G));
  auto& req = out.emplace_back(family("hakmemd_http_responses_total", "HTTP responses sent, by status code", C));
  for (size_t i = 0; i < std::size(kStatuses); ++i) {
    req.metric.push_back(value(static_cast<double>(responses_[i].load(std::memory_order_relaxed)), C,
                               {{"code", std::to_string(kStatuses[i])}}));
  }
  auto& bytes = out.emplace_back(family("hakmemd_http_response_bytes_total", "Bytes of HTTP responses (heads and bodies) handed to the kernel", C));
  bytes.metric.push_back(value(static_cast<double>(bytes_.load(std::memory_order_relaxed)), C));
  return out;
}

}  // namespace hakmem::daemon
