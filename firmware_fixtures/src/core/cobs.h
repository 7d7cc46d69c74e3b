/* Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999): the encoded
 * form contains no 0x00, so 0x00 can delimit frames on the wire. */
#ifndef COBS_H
#define COBS_H

#include <stddef.h>
#include <stdint.h>

/* Decodes len bytes (without delimiters) into out (capacity cap).
 * Returns the decoded length, or -1 if the input is malformed (a 0x00, a
 * code byte pointing past the end) or does not fit. */
int cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/* Encodes len bytes; out needs len + len/254 + 1 bytes. Returns the length. */
size_t cobs_encode(const uint8_t *in, size_t len, uint8_t *out);

#endif
