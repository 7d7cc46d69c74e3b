/* Base64 (RFC 4648, standard alphabet, '=' padding), for SMP over console. */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Encoded size of len bytes. */
#define B64_ENCODED_LEN(len) ((((len) + 2u) / 3u) * 4u)

/* Encodes len bytes into out (B64_ENCODED_LEN(len) bytes, no NUL); returns that length. */
size_t b64_encode(const uint8_t *in, size_t len, char *out);
/* Decodes len characters (a multiple of 4, padding only at the end) into out
 * (capacity cap). Returns the decoded length, or -1 for a character outside
 * the alphabet, a length that is not a multiple of 4, misplaced padding, or
 * output that does not fit. */
int b64_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

#endif
