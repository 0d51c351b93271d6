// TextBuffer's only out-of-line member: the write, kept here so the header needs no os include.
#include "support/text_buffer.h"

#include "os/os.h"

namespace hakmem {

void TextBuffer::flush_to(int fd) {
  os::write_all(fd, buf_, len_);
  len_ = 0;
}

}  // namespace hakmem
