// The event loop: one Boost.Asio io_context on the main thread that owns every change of
// state. It handles signals (SIGTERM/SIGINT stop cleanly, SIGHUP reloads the config file and
// keeps the old config when the new one is refused), inotify events on the segment directory,
// the periodic rescan timer and the eBPF probes' 1 s tick (filter, attach, sweep); it binds
// and rebinds the Exporter and loads and unloads the probes (BpfService). Scrapes run on the
// HTTP server's own threads and only read the Monitor (which is thread-safe), so no client
// can delay a signal, a reload or discovery.
//
// Errors in handlers are logged, counted in hakmemd_errors_total{source} and never stop the
// loop; only start-up failures (bad config, unusable directory, cannot listen) end it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>
#include <memory>
#include <optional>
#include <string>

#include "bpf_service.h"
#include "collector.h"
#include "config.h"
#include "exporter.h"
#include "monitor.h"

namespace hakmem::daemon {

class DaemonLoop {
 public:
  // config_file: where SIGHUP reloads from (empty: the defaults were used, SIGHUP re-applies them).
  DaemonLoop(Config config, std::string config_file);

  // Opens the directory, binds, runs until SIGTERM/SIGINT. Returns the process exit code.
  int run();

 private:
  bool apply(const Config& next, bool starting);
  void watch_directory();
  void read_inotify();
  void arm_rescan();
  void arm_bpf_tick();
  void wait_signal();
  void reload();
  void stop();

  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer rescan_timer_;
  boost::asio::steady_timer bpf_timer_;
  std::optional<boost::asio::posix::stream_descriptor> inotify_;
  std::array<char, 16384> inotify_buf_{};

  Config config_;
  std::string config_file_;
  std::shared_ptr<Monitor> monitor_;
  std::shared_ptr<BpfService> bpf_;
  std::shared_ptr<Collector> collector_;
  Exporter exporter_;
  bool stopping_ = false;
};

}  // namespace hakmem::daemon
