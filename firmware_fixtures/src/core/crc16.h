/* CRC-16/XMODEM (poly 0x1021, init 0, no reflection, no final xor): SMP's frame check. */
#ifndef CRC16_H
#define CRC16_H

#include <stddef.h>
#include <stdint.h>

/* Start with crc = 0; feed the previous result to continue a stream. */
uint16_t crc16_xmodem(uint16_t crc, const void *data, size_t len);

#endif
