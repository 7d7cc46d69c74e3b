/* CRC-32/ISO-HDLC (the CRC of zlib.crc32, Ethernet, PNG). */
#ifndef CRC32_H
#define CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Start with crc = 0; feed the previous result to continue a stream. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

#endif
