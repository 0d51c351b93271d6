// Building prometheus-cpp families by hand, shared by every collector of hakmemd (collector.cc,
// http_stats.cc): a family, and one sample appended to it with its labels.
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include <initializer_list>
#include <vector>

namespace hakmem::daemon {

inline prometheus::MetricFamily family(const char* name, const char* help,
                                       prometheus::MetricType type) {
  return prometheus::MetricFamily{name, help, type, {}};
}

// Appends one sample: the `base` labels, then the `extra` label pairs.
inline void add(prometheus::MetricFamily& f,
                const std::vector<prometheus::ClientMetric::Label>& base,
                std::initializer_list<prometheus::ClientMetric::Label> extra, double value) {
  prometheus::ClientMetric m;
  m.label.reserve(base.size() + extra.size());
  m.label.insert(m.label.end(), base.begin(), base.end());
  m.label.insert(m.label.end(), extra.begin(), extra.end());
  if (f.type == prometheus::MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

}  // namespace hakmem::daemon
