// The storage itself; see segment_storage.h. Zero until init fills the static parts.
#include "counters/segment_storage.h"

namespace hakmem {

Segment g_segment;

}  // namespace hakmem
