// See rejection.h.
#include "reader/rejection.h"

#include <array>

namespace hakmem::reader {

namespace {

constexpr std::array<std::string_view, kNumReasons> kReasonNames{
#define HAKMEM_REJECT_X_NAME(id, name) std::string_view{name},
    HAKMEM_REJECT_REASONS(HAKMEM_REJECT_X_NAME)
#undef HAKMEM_REJECT_X_NAME
};

}  // namespace

std::string_view reason_name(Reason r) {
  auto i = static_cast<std::size_t>(r);
  return i < kReasonNames.size() ? kReasonNames[i] : std::string_view{"unknown"};
}

std::string Rejection::to_string() const {
  std::string s(reason_name(reason));
  if (!message.empty()) s += ": " + message;
  return s;
}

}  // namespace hakmem::reader
