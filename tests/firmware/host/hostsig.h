/* The host tests' stand-in signature scheme (hostsig.c). */
#ifndef HOSTSIG_H
#define HOSTSIG_H

#include <stdint.h>
#include "image.h"

void host_keyhash(uint8_t out[IMAGE_KEYHASH_SIZE]);
void host_signature(const uint8_t digest[SHA256_DIGEST_SIZE], uint8_t out[IMAGE_SIG_SIZE]);

#endif
