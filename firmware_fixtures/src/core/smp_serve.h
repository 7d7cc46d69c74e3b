/* The demo device's SMP server, shared by the apps and the bootloader's
 * recovery: the command table (OS echo, reset and params; image state and
 * upload over smp_img), one packet in, its answer out. Hardware-free: the
 * caller writes the answer's bytes and performs the reset. */
#ifndef SMP_SERVE_H
#define SMP_SERVE_H

#include "smp.h"
#include "smp_img.h"

/* Answers the packet `link` holds through `write`. Returns 1 when that
 * answer was to an OS reset (reset now: the answer has been written), else 0. */
int smp_serve(const struct smp_link *link, struct smp_img *img, smp_put_fn write, void *ctx);

#endif
