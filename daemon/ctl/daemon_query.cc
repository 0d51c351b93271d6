// See daemon_query.h.
#include "daemon_query.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

namespace hakmem::ctl {

namespace {

constexpr size_t kMaxResponse = 64u << 20;  // hakmemd's scrape of 1000 processes is ~30 MiB

int syscall_index(const std::string& name) {
  for (int i = 0; i < HAK_BPF_SYSCALL_COUNT; ++i)
    if (name == kKernelSyscalls[i]) return i;
  return -1;
}

// One exposition sample line: name, labels, value; false for anything else.
bool parse_sample(const std::string& line, std::string* name,
                  std::map<std::string, std::string>* labels, double* value) {
  size_t brace = line.find('{');
  if (brace == std::string::npos || brace == 0) return false;
  *name = line.substr(0, brace);
  size_t i = brace + 1;
  labels->clear();
  while (i < line.size() && line[i] != '}') {
    size_t eq = line.find("=\"", i);
    if (eq == std::string::npos) return false;
    std::string key = line.substr(i, eq - i);
    std::string v;
    size_t j = eq + 2;
    for (; j < line.size() && line[j] != '"'; ++j) {
      if (line[j] == '\\' && j + 1 < line.size()) {
        ++j;
        v += line[j] == 'n' ? '\n' : line[j];
      } else {
        v += line[j];
      }
    }
    if (j >= line.size()) return false;
    (*labels)[key] = v;
    i = j + 1;
    if (i < line.size() && line[i] == ',') ++i;
  }
  if (i >= line.size() || line[i] != '}' || i + 2 > line.size() || line[i + 1] != ' ') return false;
  const char* start = line.c_str() + i + 2;
  char* end = nullptr;
  *value = std::strtod(start, &end);
  return end != start && *end == '\0';
}

bool parse_address(const std::string& address, sockaddr_in* out) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return false;
  long p = std::strtol(port.c_str(), nullptr, 10);
  if (p <= 0 || p > 65535) return false;
  std::memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons(static_cast<uint16_t>(p));
  return inet_pton(AF_INET, host.c_str(), &out->sin_addr) == 1;
}

}  // namespace

KernelView kernel_view_from_metrics(const std::string& text, int pid) {
  KernelView v;
  const std::string want = std::to_string(pid);
  std::istringstream in(text);
  std::string line, name;
  std::map<std::string, std::string> labels;
  bool up_seen = false;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.compare(0, 10, "hakmem_bpf") != 0) continue;
    double value = 0;
    if (!parse_sample(line, &name, &labels, &value)) continue;
    if (name == "hakmem_bpf_up") {
      up_seen = true;
      if (value != 1) v.problem = "hakmemd's eBPF probes are not loaded (reason " + labels["reason"] + ")";
      continue;
    }
    if (labels["pid"] != want) continue;
    int s = syscall_index(labels["syscall"]);
    if (s < 0) continue;
    KernelCounts& k = v.by_syscall[s];
    if (name == "hakmem_bpf_syscalls_total") {
      k.calls += value;
      v.traced = true;
    } else if (name == "hakmem_bpf_syscall_bytes_total") {
      k.bytes += value;
    } else if (name == "hakmem_bpf_unattributed_calls_total") {
      k.unattributed_calls += value;
      v.compared = true;
    } else if (name == "hakmem_bpf_unattributed_bytes_total") {
      k.unattributed_bytes += value;
    }
  }
  if (!up_seen && v.problem.empty()) v.problem = "the response has no hakmem_bpf_up: not a hakmemd with eBPF";
  return v;
}

KernelView query_daemon(const std::string& address, int pid, int timeout_ms) {
  KernelView none;
  sockaddr_in sa;
  if (!parse_address(address, &sa)) {
    none.problem = "--daemon " + address + " is not an IPv4 address:port";
    return none;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto remaining = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return static_cast<int>(left.count() > 0 ? left.count() : 0);
  };
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    none.problem = std::string("socket: ") + strerror(errno);
    return none;
  }
  auto fail = [&](const std::string& why) {
    close(fd);
    none.problem = "hakmemd not reachable at " + address + " (" + why + ")";
    return none;
  };
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS)
    return fail(strerror(errno));
  pollfd p{fd, POLLOUT, 0};
  if (poll(&p, 1, remaining()) != 1) return fail("timed out connecting");
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return fail(strerror(err));

  std::string request = "GET /metrics HTTP/1.1\r\nHost: " + address + "\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return fail(strerror(errno));
    p = {fd, POLLOUT, 0};
    if (poll(&p, 1, remaining()) != 1) return fail("timed out sending");
  }
  std::string response;
  char buf[65536];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      response.append(buf, static_cast<size_t>(n));
      if (response.size() > kMaxResponse) return fail("response over 64 MiB");
      continue;
    }
    if (n == 0) break;
    if (errno != EAGAIN && errno != EINTR) return fail(strerror(errno));
    p = {fd, POLLIN, 0};
    if (poll(&p, 1, remaining()) != 1) return fail("timed out reading");
  }
  close(fd);
  size_t head_end = response.find("\r\n\r\n");
  if (response.compare(0, 9, "HTTP/1.1 ") != 0 || head_end == std::string::npos) {
    none.problem = "the answer from " + address + " is not HTTP";
    return none;
  }
  if (response.compare(9, 3, "200") != 0) {
    none.problem = "hakmemd at " + address + " answered " + response.substr(9, 3);
    return none;
  }
  if (response.find("Transfer-Encoding: chunked") < head_end) {
    none.problem = "hakmemd at " + address + " sent a chunked response";
    return none;
  }
  return kernel_view_from_metrics(response.substr(head_end + 4), pid);
}

}  // namespace hakmem::ctl
