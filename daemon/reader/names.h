// The reader's names for everything a segment counts, generated from the X-macro lists of the
// public ABI (hakmem/stats_names.h, hakmem/telemetry_abi.h), never retyped: a label value the
// allocator renames or reorders changes here with it. Index i of each array names entry i of
// the matching segment array. Header-only, constexpr, thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "hakmem/telemetry_abi.h"

namespace hakmem::reader {

#define HAKMEM_READER_X_LABEL(id, name) std::string_view{name},

inline constexpr std::array kPathNames{HAK_REFILL_PATHS(HAKMEM_READER_X_LABEL)};
inline constexpr std::array kLockNames{HAK_LOCKS(HAKMEM_READER_X_LABEL)};
inline constexpr std::array kPoolStageNames{HAK_POOL_STAGES(HAKMEM_READER_X_LABEL)};
inline constexpr std::array kPoolReleaseNames{HAK_POOL_RELEASE_KINDS(HAKMEM_READER_X_LABEL)};
inline constexpr std::array kSuperslabStateNames{HAK_SUPERSLAB_STATES(HAKMEM_READER_X_LABEL)};
inline constexpr std::array kOsCallNames{HAK_OS_CALLS(HAKMEM_READER_X_LABEL)};
inline constexpr std::array kSectionNames{HAK_SEG_SECTIONS(HAKMEM_READER_X_LABEL)};
inline constexpr std::array kSettingSourceNames{HAK_SEG_SETTING_SOURCES(HAKMEM_READER_X_LABEL)};
inline constexpr std::array kSpanCacheEventNames{HAK_SPAN_CACHE_EVENTS(HAKMEM_READER_X_LABEL)};
inline constexpr std::array kCacheResizeNames{HAK_CACHE_RESIZES(HAKMEM_READER_X_LABEL)};

// Indexes into span_cache_events[] by event, for code that reads one event (kSpanCacheHIT, ...).
#define HAKMEM_READER_X_SPAN_INDEX(id, name) kSpanCache##id,
enum SpanCacheEvent : std::size_t { HAK_SPAN_CACHE_EVENTS(HAKMEM_READER_X_SPAN_INDEX) };
#undef HAKMEM_READER_X_SPAN_INDEX

#undef HAKMEM_READER_X_LABEL

inline constexpr std::size_t kNumClasses = HAK_NUM_CLASSES;
inline constexpr std::size_t kNumPaths = HAK_NUM_PATHS;
inline constexpr std::size_t kNumLocks = HAK_NUM_LOCKS;
inline constexpr std::size_t kNumPoolStages = HAK_NUM_POOL_STAGES;
inline constexpr std::size_t kNumPoolReleaseKinds = HAK_NUM_POOL_RELEASE_KINDS;
inline constexpr std::size_t kNumSuperslabStates = HAK_NUM_SUPERSLAB_STATES;
inline constexpr std::size_t kNumOsCalls = HAK_NUM_OS_CALLS;
inline constexpr std::size_t kNumSpanCacheEvents = HAK_NUM_SPAN_CACHE_EVENTS;
inline constexpr std::size_t kNumCacheResizes = HAK_NUM_CACHE_RESIZES;

static_assert(kPathNames.size() == kNumPaths && kLockNames.size() == kNumLocks &&
              kPoolStageNames.size() == kNumPoolStages &&
              kPoolReleaseNames.size() == kNumPoolReleaseKinds &&
              kSuperslabStateNames.size() == kNumSuperslabStates &&
              kOsCallNames.size() == kNumOsCalls && kSectionNames.size() == HAK_SEG_NUM_SECTIONS &&
              kSpanCacheEventNames.size() == kNumSpanCacheEvents &&
              kCacheResizeNames.size() == kNumCacheResizes);

}  // namespace hakmem::reader
