/* The public key the bootloader trusts (an Ed25519 key, RFC 8032
 * encoding). Its definition is generated at build time from the signing
 * key (tools/trust_key.py; keys/README.md). */
#ifndef TRUST_KEY_H
#define TRUST_KEY_H

#include <stdint.h>

#define TRUST_KEY_SIZE 32

extern const uint8_t trust_key[TRUST_KEY_SIZE];

#endif
