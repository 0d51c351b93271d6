// See daemon_loop.h.
#include "daemon_loop.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include "log.h"
#include "reader/segment_file.h"

namespace hakmem::daemon {

namespace asio = boost::asio;

DaemonLoop::DaemonLoop(Config config, std::string config_file)
    : signals_(io_, SIGTERM, SIGINT, SIGHUP),
      rescan_timer_(io_),
      bpf_timer_(io_),
      config_(std::move(config)),
      config_file_(std::move(config_file)),
      monitor_(std::make_shared<Monitor>()),
      bpf_(std::make_shared<BpfService>()),
      collector_(std::make_shared<Collector>(monitor_, bpf_)),
      exporter_({collector_}) {}

int DaemonLoop::run() {
  // SIGPIPE: a scraper that hangs up must not kill the daemon.
  std::signal(SIGPIPE, SIG_IGN);
  if (!apply(config_, /*starting=*/true)) return 1;
  wait_signal();
  arm_rescan();
  arm_bpf_tick();
  io_.run();
  log_info("stopped");
  return 0;
}

// Makes `next` the running config. At start-up any failure is fatal; on reload a failure
// leaves every part of the old config in force.
bool DaemonLoop::apply(const Config& next, bool starting) {
  std::shared_ptr<const SegmentDir> dir = monitor_->directory();
  if (starting || next.segment_dir != config_.segment_dir) {
    std::string error;
    dir = SegmentDir::open(next.segment_dir, &error);
    if (!dir) {
      log_error(error + (starting ? "" : "; keeping the old config"));
      return false;
    }
  }
  if (starting || !(next.listen == config_.listen) || !(next.http == config_.http)) {
    std::string error;
    if (!exporter_.bind(next.listen, next.http, &error)) {
      log_error(error + (starting ? "" : "; keeping the old config"));
      if (!starting) monitor_->count_error("reload");
      return false;
    }
    log_info("listening on " + (next.listen.ipv6 ? "[" + next.listen.host + "]"
                                                 : next.listen.host) +
             ":" + std::to_string(exporter_.port()));
  }
  set_log_level(next.log_level);
  bool dir_changed = dir != monitor_->directory();
  monitor_->configure(MonitorSettings{next.comm_filter, next.max_processes, next.stale_cleanup});
  collector_->set_export(next.export_mode);
  if (dir_changed) {
    monitor_->set_directory(dir);
    watch_directory();
  }
  if (!starting && next.rescan_interval_seconds != config_.rescan_interval_seconds) {
    config_ = next;
    arm_rescan();
  }
  config_ = next;
  for (const auto& line : describe(config_)) log_debug("config " + line);
  monitor_->rescan();
  // After the rescan, so that the filter holds the processes known now before the probes
  // count anything; a failure to load is logged and served, never fatal.
  bpf_->apply(next.ebpf);
  bpf_->tick(monitor_->tracked_pids(), monitor_->any_segment());
  return true;
}

// inotify on the directory: files created, renamed in or out, deleted. IN_Q_OVERFLOW (or any
// read error) falls back to a full rescan, which the timer does anyway.
void DaemonLoop::watch_directory() {
  if (inotify_) {
    boost::system::error_code ignored;
    inotify_->close(ignored);
    inotify_.reset();
  }
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    log_warn(std::string("inotify unavailable (") + strerror(errno) + "): rescans only");
    monitor_->count_error("inotify");
    return;
  }
  // The watch is by path: /proc/self/fd/N names the directory we opened, not whatever the
  // path names now.
  std::string dir_path = "/proc/self/fd/" + std::to_string(monitor_->directory()->fd());
  if (inotify_add_watch(fd, dir_path.c_str(),
                        IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |
                            IN_MOVE_SELF | IN_ONLYDIR) < 0) {
    log_warn(std::string("cannot watch the segment directory (") + strerror(errno) +
             "): rescans only");
    monitor_->count_error("inotify");
    ::close(fd);
    return;
  }
  inotify_.emplace(io_, fd);
  read_inotify();
}

void DaemonLoop::read_inotify() {
  if (!inotify_) return;
  inotify_->async_read_some(
      asio::buffer(inotify_buf_), [this](const boost::system::error_code& ec, size_t n) {
        if (ec == asio::error::operation_aborted || stopping_) return;
        if (ec) {
          log_warn("inotify read failed: " + ec.message() + "; rescanning");
          monitor_->count_error("inotify");
          monitor_->rescan();
          return;  // rescans go on; the watch is renewed at the next directory change
        }
        bool rescan = false;
        for (size_t off = 0; off + sizeof(inotify_event) <= n;) {
          const auto* ev = reinterpret_cast<const inotify_event*>(inotify_buf_.data() + off);
          off += sizeof(inotify_event) + ev->len;
          if (ev->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF)) {
            rescan = true;
            continue;
          }
          if (ev->len == 0) continue;
          auto pid = reader::segment_pid(ev->name);
          if (!pid) continue;
          if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
            monitor_->add(*pid);
            collector_->segment_appeared(*pid);
          }
          if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) monitor_->remove(*pid);
        }
        if (rescan) monitor_->rescan();
        read_inotify();
      });
}

void DaemonLoop::arm_rescan() {
  rescan_timer_.expires_after(std::chrono::seconds(config_.rescan_interval_seconds));
  rescan_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    monitor_->rescan();
    arm_rescan();
  });
}

// Every second: the filter follows the tracked segments, and the counts of processes that
// are gone are removed (README: within about a second of the daemon seeing them go).
void DaemonLoop::arm_bpf_tick() {
  bpf_timer_.expires_after(std::chrono::seconds(1));
  bpf_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    bpf_->tick(monitor_->tracked_pids(), monitor_->any_segment());
    arm_bpf_tick();
  });
}

void DaemonLoop::wait_signal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reload();
      wait_signal();
      return;
    }
    log_info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ", stopping");
    stop();
  });
}

void DaemonLoop::reload() {
  if (config_file_.empty()) {
    log_info("SIGHUP: no config file (defaults in use), nothing to reload");
    return;
  }
  ConfigResult r = load_config_file(config_file_);
  if (!r.config) {
    log_error("SIGHUP: config refused, keeping the old one: " + r.error.message());
    monitor_->count_error("reload");
    return;
  }
  if (apply(*r.config, /*starting=*/false))
    log_info("SIGHUP: config reloaded from " + config_file_);
}

void DaemonLoop::stop() {
  stopping_ = true;
  rescan_timer_.cancel();
  bpf_timer_.cancel();
  signals_.cancel();
  if (inotify_) {
    boost::system::error_code ignored;
    inotify_->close(ignored);
  }
  exporter_.close();  // joins the serving threads: no scrape runs past this point
  bpf_->stop();       // detaches every program: nothing of ours stays in the kernel
  io_.stop();
}

}  // namespace hakmem::daemon
