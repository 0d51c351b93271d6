// A fixed-size text builder for the allocator's few messages (error lines, the exit summary,
// the crash log). stdio may allocate or take locks, so messages are built on the stack with
// this and written with os::write_all. Async-signal-safe; silently truncates at capacity.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hakmem {

class TextBuffer {
 public:
  TextBuffer(char* storage, size_t capacity) : buf_(storage), cap_(capacity) {}

  TextBuffer& str(const char* s) {
    while (*s != '\0') put(*s++);
    return *this;
  }
  TextBuffer& num(uint64_t v) {
    char tmp[20];
    int n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) put(tmp[--n]);
    return *this;
  }
  TextBuffer& hex(uintptr_t v) {
    str("0x");
    bool started = false;
    for (int shift = 60; shift >= 0; shift -= 4) {
      unsigned d = (v >> shift) & 0xF;
      if (d != 0 || started || shift == 0) {
        put("0123456789abcdef"[d]);
        started = true;
      }
    }
    return *this;
  }
  TextBuffer& kv(const char* key, uint64_t v) { return str(" ").str(key).str("=").num(v); }

  const char* data() const { return buf_; }
  size_t size() const { return len_; }
  void clear() { len_ = 0; }
  // NUL-terminates the contents in place (the last byte gives way when full).
  const char* c_str() {
    buf_[len_ < cap_ ? len_ : cap_ - 1] = '\0';
    return buf_;
  }
  // Writes the contents to fd and starts over.
  void flush_to(int fd);

 private:
  void put(char c) {
    if (len_ < cap_) buf_[len_++] = c;
  }
  char* buf_;
  size_t cap_;
  size_t len_ = 0;
};

}  // namespace hakmem
