// See http_server.h. A Connection lives on its own strand (its socket's executor): every
// handler of one connection runs serially, while connections run side by side on the serving
// threads. The acceptor runs on its own strand too. The registry of open connections (mutex)
// is what eviction and the open count read; a connection leaves it when it closes.
#include "http_server.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <atomic>
#include <chrono>
#include <exception>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "log.h"

namespace hakmem::daemon {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

const char* status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

constexpr const char kRefusal[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 39\r\nConnection: close\r\n\r\nhakmemd: too many connections, retry\r\n";

class Connection;

}  // namespace

struct HttpServer::Impl {
  Impl(const HttpLimits& l, Handler h, std::shared_ptr<HttpStats> s)
      : limits(l), handler(std::move(h)), stats(std::move(s)) {}
  ~Impl();

  void accept();
  void admit(tcp::socket socket);
  void refuse(tcp::socket& socket);
  std::shared_ptr<Connection> claim_victim_locked();
  void forget(Connection* c) {
    std::lock_guard<std::mutex> g(mu);
    open.erase(c);
  }
  void arm_log_timer();

  const HttpLimits limits;
  const Handler handler;
  const std::shared_ptr<HttpStats> stats;
  std::optional<asio::io_context> io{std::in_place};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<asio::strand<asio::io_context::executor_type>> accept_strand;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> retry_timer, log_timer;
  std::vector<std::thread> threads;
  int port = -1;

  std::mutex mu;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> open;
};

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpServer::Impl& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()),
        buf_(server.limits.max_request_bytes) {}

  ~Connection() {
    // Destroyed unclosed only when the server stops with this connection's handlers pending.
    if (!closed_) {
      server_.forget(this);
      server_.stats->closed(HttpClose::kShutdown);
    }
  }

  // Since when it waits for a request (evictable first), or 0 while it serves one.
  std::atomic<int64_t> waiting_since{0};
  // Since when its response is being written, or 0 (evictable once it is kStalledWrite old).
  std::atomic<int64_t> writing_since{0};
  std::atomic<bool> evicting{false};

  void start() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->wait_for_request(self->server_.limits.header_timeout_seconds, HttpClose::kHeaderTimeout);
      self->read();
    });
  }

  // Runs on the strand from anywhere (eviction).
  void close_later(HttpClose why) {
    asio::post(socket_.get_executor(), [self = shared_from_this(), why] { self->close(why); });
  }

 private:
  void wait_for_request(uint32_t seconds, HttpClose on_timeout) {
    waiting_since.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    arm(seconds, on_timeout);
  }

  void arm(uint32_t seconds, HttpClose on_timeout) {
    uint64_t gen = ++timer_gen_;
    timer_.expires_after(std::chrono::seconds(seconds));
    timer_.async_wait([self = shared_from_this(), gen, on_timeout](const boost::system::error_code& ec) {
      if (!ec && gen == self->timer_gen_) self->close(on_timeout);
    });
  }

  void read() {
    socket_.async_read_some(
        asio::buffer(buf_.data() + used_, buf_.size() - used_),
        [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
          self->on_read(ec, n);
        });
  }

  void on_read(const boost::system::error_code& ec, size_t n) {
    if (closed_) return;
    if (ec) return close(ec == asio::error::eof || ec == asio::error::connection_reset
                             ? HttpClose::kClient : HttpClose::kError);
    if (idle_) {
      // The next request's first byte: its head has header_timeout from here.
      idle_ = false;
      arm(server_.limits.header_timeout_seconds, HttpClose::kHeaderTimeout);
    }
    used_ += n;
    process();
  }

  void process() {
    HttpRequest req;
    size_t head_bytes = 0;
    std::string reason;
    switch (parse_request_head(std::string_view(buf_.data(), used_), &req, &head_bytes, &reason)) {
      case HeadStatus::kIncomplete:
        if (used_ < buf_.size()) return read();
        return refuse_request(431, HttpClose::kTooLarge,
                              "request head larger than " + std::to_string(buf_.size()) + " bytes");
      case HeadStatus::kBad:
        return refuse_request(400, HttpClose::kBadRequest, reason);
      case HeadStatus::kComplete:
        break;
    }
    // Pipelined bytes after the head stay for the next request.
    std::memmove(buf_.data(), buf_.data() + head_bytes, used_ - head_bytes);
    used_ -= head_bytes;
    waiting_since.store(0, std::memory_order_relaxed);
    if (req.has_body) return refuse_request(413, HttpClose::kBadRequest, "request bodies are not accepted");
    if (req.method != "GET" && req.method != "HEAD")
      return refuse_request(405, HttpClose::kBadRequest, "only GET and HEAD are served");
    ++requests_;
    bool keep = req.keep_alive && requests_ < server_.limits.max_requests_per_connection;
    HttpClose after = keep ? HttpClose::kClient
                           : req.keep_alive ? HttpClose::kRequestLimit : HttpClose::kDone;
    HttpResponse r;
    try {
      r = server_.handler(req);
    } catch (const std::exception& e) {
      log_error(std::string("http: rendering ") + req.path + " failed: " + e.what());
      r = HttpResponse{500, "text/plain; charset=utf-8",
                       std::make_shared<const std::string>("hakmemd: internal error\n")};
    }
    respond(r, req.method == "HEAD", keep, after);
  }

  // Answers what cannot be served, then closes (the rest of the request is never read).
  void refuse_request(int status, HttpClose why, const std::string& reason) {
    waiting_since.store(0, std::memory_order_relaxed);
    log_debug("http: " + std::to_string(status) + " to a client: " + reason);
    respond(HttpResponse{status, "text/plain; charset=utf-8",
                         std::make_shared<const std::string>("hakmemd: " + reason + "\n")},
            false, false, why);
  }

  void respond(const HttpResponse& r, bool head_only, bool keep, HttpClose after) {
    status_ = r.status;
    body_ = head_only || !r.body ? nullptr : r.body;
    size_t length = r.body ? r.body->size() : 0;
    head_ = "HTTP/1.1 " + std::to_string(r.status) + " " + status_text(r.status) +
            "\r\nContent-Type: " + r.content_type + "\r\nContent-Length: " +
            std::to_string(length) + (r.status == 405 ? "\r\nAllow: GET, HEAD" : "") +
            "\r\nConnection: " + (keep ? "keep-alive" : "close") + "\r\n\r\n";
    arm(server_.limits.write_timeout_seconds, HttpClose::kWriteTimeout);
    writing_since.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    std::vector<asio::const_buffer> out{asio::buffer(head_)};
    if (body_) out.push_back(asio::buffer(*body_));
    asio::async_write(socket_, out,
                      [self = shared_from_this(), keep, after](const boost::system::error_code& ec, size_t n) {
                        self->on_written(ec, n, keep, after);
                      });
  }

  void on_written(const boost::system::error_code& ec, size_t n, bool keep, HttpClose after) {
    if (closed_) return;
    body_.reset();
    writing_since.store(0, std::memory_order_relaxed);
    if (ec) return close(ec == asio::error::broken_pipe || ec == asio::error::connection_reset
                             ? HttpClose::kClient : HttpClose::kError);
    server_.stats->responded(status_, n);
    if (!keep) return close(after);
    idle_ = used_ == 0;
    if (idle_) {
      wait_for_request(server_.limits.idle_timeout_seconds, HttpClose::kIdleTimeout);
      return read();
    }
    wait_for_request(server_.limits.header_timeout_seconds, HttpClose::kHeaderTimeout);
    process();
  }

  void close(HttpClose why) {
    if (closed_) return;
    closed_ = true;
    // Counted before the socket closes: a client that sees its connection end and then
    // scrapes (on another serving thread) must find the close counted. Found by
    // http_limits_test under load, where this thread was preempted between the two.
    server_.stats->closed(why);
    ++timer_gen_;
    timer_.cancel();
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    server_.forget(this);
  }

  HttpServer::Impl& server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  uint64_t timer_gen_ = 0;
  std::vector<char> buf_;
  size_t used_ = 0;
  bool idle_ = false;  // kept alive, no byte of the next request yet
  bool closed_ = false;
  uint32_t requests_ = 0;
  int status_ = 0;
  std::string head_;
  std::shared_ptr<const std::string> body_;
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor->async_accept(
      asio::make_strand(*io),
      asio::bind_executor(*accept_strand, [this](const boost::system::error_code& ec, auto s) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
          admit(tcp::socket(std::move(s)));
          return accept();
        }
        // Out of fds (or another transient failure): the pending connection stays queued, so
        // accepting again at once would spin. Make room if a connection is only waiting.
        log_warn("http: accept failed: " + ec.message() + "; retrying in 100 ms");
        std::shared_ptr<Connection> victim;
        {
          std::lock_guard<std::mutex> g(mu);
          victim = claim_victim_locked();
        }
        if (victim) victim->close_later(HttpClose::kEvicted);
        retry_timer->expires_after(std::chrono::milliseconds(100));
        retry_timer->async_wait(asio::bind_executor(*accept_strand, [this](const boost::system::error_code& e) {
          if (!e) accept();
        }));
      }));
}

// The open connection that has waited longest for its request, else the one whose response
// has been stuck in the writing longest if that is over kStalledWrite (a scrape's response
// takes milliseconds to write; a client that stalls it that long is the likeliest to be the
// bad one), marked so no other accept picks it too; nullptr when every connection is busy
// with a request of its own.
std::shared_ptr<Connection> HttpServer::Impl::claim_victim_locked() {
  constexpr auto kStalledWrite = std::chrono::seconds(1);
  int64_t stalled_before = (Clock::now() - kStalledWrite).time_since_epoch().count();
  std::shared_ptr<Connection> best;
  int64_t best_since = 0;
  bool best_waits = false;
  for (auto& [raw, weak] : open) {
    if (raw->evicting.load(std::memory_order_relaxed)) continue;
    int64_t waiting = raw->waiting_since.load(std::memory_order_relaxed);
    int64_t writing = raw->writing_since.load(std::memory_order_relaxed);
    bool waits = waiting != 0;
    int64_t since = waits ? waiting : writing;
    if (!waits && (writing == 0 || writing > stalled_before)) continue;
    if (best && (best_waits > waits || (best_waits == waits && since >= best_since))) continue;
    if (auto c = weak.lock()) {
      best = std::move(c);
      best_since = since;
      best_waits = waits;
    }
  }
  if (best) best->evicting.store(true, std::memory_order_relaxed);
  return best;
}

void HttpServer::Impl::admit(tcp::socket socket) {
  std::shared_ptr<Connection> victim, c;
  {
    std::lock_guard<std::mutex> g(mu);
    size_t evicting = 0;
    for (auto& [raw, weak] : open) evicting += raw->evicting.load(std::memory_order_relaxed);
    if (open.size() - evicting >= limits.max_connections) {
      victim = claim_victim_locked();
      if (!victim) return refuse(socket);
    }
    // Bounds the kernel memory a client that never reads pins (the kernel doubles it); the
    // cgroup's MemoryMax counts socket buffers too.
    boost::system::error_code ignored;
    socket.set_option(asio::socket_base::send_buffer_size(static_cast<int>(limits.send_buffer_bytes)), ignored);
    c = std::make_shared<Connection>(*this, std::move(socket));
    open.emplace(c.get(), c);
  }
  if (victim) victim->close_later(HttpClose::kEvicted);
  stats->accepted();
  c->start();
}

// Best effort, never blocking: the 503 goes out if the socket's buffer takes it at once.
void HttpServer::Impl::refuse(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  size_t n = socket.write_some(asio::buffer(kRefusal, sizeof kRefusal - 1), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  stats->responded(503, n);
  stats->refused();
}

void HttpServer::Impl::arm_log_timer() {
  log_timer->expires_after(std::chrono::seconds(10));
  log_timer->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    stats->log_pending();
    arm_log_timer();
  });
}

HttpServer::Impl::~Impl() {
  work.reset();
  io->stop();
  for (auto& t : threads) t.join();
  // The handlers still queued own the last connections: destroying the io_context destroys
  // them, while the registry they leave is still alive.
  acceptor.reset();
  retry_timer.reset();
  log_timer.reset();
  accept_strand.reset();
  io.reset();
}

std::unique_ptr<HttpServer> HttpServer::listen(const ListenAddress& address, const HttpLimits& limits,
                                               Handler handler, std::shared_ptr<HttpStats> stats,
                                               std::string* error) {
  auto impl = std::make_unique<Impl>(limits, std::move(handler), std::move(stats));
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address.host, ec);
  if (ec) {
    *error = "cannot listen on " + address.text() + ": " + ec.message();
    return nullptr;
  }
  tcp::endpoint endpoint(ip, address.port);
  impl->accept_strand.emplace(asio::make_strand(*impl->io));
  impl->acceptor.emplace(*impl->io);
  tcp::acceptor& a = *impl->acceptor;
  if (a.open(endpoint.protocol(), ec) || a.set_option(tcp::acceptor::reuse_address(true), ec) ||
      a.bind(endpoint, ec) || a.listen(asio::socket_base::max_listen_connections, ec)) {
    *error = "cannot listen on " + address.text() + ": " + ec.message();
    return nullptr;
  }
  impl->port = a.local_endpoint(ec).port();
  impl->retry_timer.emplace(*impl->io);
  impl->log_timer.emplace(*impl->io);
  impl->work.emplace(impl->io->get_executor());
  impl->accept();
  impl->arm_log_timer();
  for (uint32_t i = 0; i < limits.threads; ++i) {
    impl->threads.emplace_back([io = &*impl->io] { io->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;

int HttpServer::port() const { return impl_->port; }

}  // namespace hakmem::daemon
