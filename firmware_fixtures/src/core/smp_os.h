/* MCUmgr's OS group, the part every SMP server answers: echo and MCUmgr parameters. */
#ifndef SMP_OS_H
#define SMP_OS_H

#include "smp.h"

#define SMP_GROUP_OS 0u
#define SMP_OS_ECHO 0u
#define SMP_OS_RESET 5u
#define SMP_OS_PARAMS 6u

/* {"d": text} -> {"r": text} */
int smp_os_echo(void *ctx, const uint8_t *body, uint32_t n, struct cbor_writer *w, const char **reason);
/* {} -> {"buf_size": SMP_BUF_SIZE, "buf_count": 1} */
int smp_os_params(void *ctx, const uint8_t *body, uint32_t n, struct cbor_writer *w, const char **reason);

#endif
