/* Ed25519 signature verification (RFC 8032 §5.1.7), written for this
 * project. Verification only: nothing here handles a secret, so nothing is
 * constant-time. Hardware-free, so the host tests check it against the
 * RFC's vectors and against another implementation. */
#ifndef ED25519_H
#define ED25519_H

#include <stddef.h>
#include <stdint.h>

#define ED25519_KEY_SIZE 32
#define ED25519_SIG_SIZE 64

enum ed25519_result {
    ED25519_OK = 0,
    ED25519_E_KEY,      /* the public key is not the encoding of a curve point */
    ED25519_E_S,        /* S is not below the group order L (malleable or garbage) */
    ED25519_E_SIG,      /* a well-formed signature that does not match */
};

enum ed25519_result ed25519_verify(const uint8_t sig[ED25519_SIG_SIZE], const uint8_t *msg, size_t len,
                                   const uint8_t pub[ED25519_KEY_SIZE]);

#endif
