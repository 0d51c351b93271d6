/* glibc's malloc/malloc-size.h for HAKMEM's peer-test shim: the alignment every block must
   have. glibc's MALLOC_ALIGNMENT on x86-64 is 16, the fundamental alignment C requires of
   malloc (alignof (max_align_t)), so any conforming allocator is held to the same value. */
#ifndef HAKMEM_PEER_MALLOC_SIZE_H
#define HAKMEM_PEER_MALLOC_SIZE_H

#include <stddef.h>

#define MALLOC_ALIGNMENT _Alignof (max_align_t)
#define MALLOC_ALIGN_MASK (MALLOC_ALIGNMENT - 1)

#endif
