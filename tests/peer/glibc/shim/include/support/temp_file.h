/* glibc's support/temp_file.h as malloc/tst-*.c use it (HAKMEM's peer-test shim): temporary
   files removed when the process that created them exits. */
#ifndef HAKMEM_PEER_SUPPORT_TEMP_FILE_H
#define HAKMEM_PEER_SUPPORT_TEMP_FILE_H

#ifdef __cplusplus
extern "C" {
#endif

/* Creates $TMPDIR/BASE-XXXXXX (or under /tmp) and returns its descriptor, or -1 with errno;
   *FILENAME, when FILENAME is not null, receives the path in malloc'd memory. */
int create_temp_file (const char *base, char **filename);
void add_temp_file (const char *name);

#ifdef __cplusplus
}
#endif

#endif
