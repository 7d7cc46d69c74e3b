/* SHA-512 (FIPS 180-4), streaming: the hash inside Ed25519 (RFC 8032). */
#ifndef SHA512_H
#define SHA512_H

#include <stddef.h>
#include <stdint.h>

#define SHA512_DIGEST_SIZE 64

struct sha512 {
    uint64_t h[8];
    uint64_t total;        /* bytes hashed so far (images are far below 2^61) */
    uint8_t block[128];
    uint32_t fill;         /* bytes waiting in block */
};

void sha512_init(struct sha512 *s);
void sha512_update(struct sha512 *s, const void *data, size_t len);
void sha512_final(struct sha512 *s, uint8_t out[SHA512_DIGEST_SIZE]);

#endif
