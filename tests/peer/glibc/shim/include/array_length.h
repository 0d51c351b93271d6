/* glibc's include/array_length.h for HAKMEM's peer-test shim. */
#ifndef HAKMEM_PEER_ARRAY_LENGTH_H
#define HAKMEM_PEER_ARRAY_LENGTH_H

#define array_length(var) (sizeof (var) / sizeof ((var)[0]))
#define array_end(var) (&(var)[array_length (var)])

#endif
