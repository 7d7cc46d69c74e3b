/* What the boards' flash drivers share: flash reads like memory, and a
 * program is little-endian word stores into erased units. */
#ifndef FLASH_MEM_H
#define FLASH_MEM_H

#include <stdint.h>

/* Copies flash [addr, addr + len) into buf; -1 outside the flash. */
int flash_mem_read(uint32_t addr, void *buf, uint32_t len);
/* 1 when every word of [addr, addr + len) reads erased (len a multiple of 4). */
int flash_mem_erased(uint32_t addr, uint32_t len);
/* Stores buf at addr as 32-bit words (addr and len multiples of 4). */
void flash_mem_store(uint32_t addr, const void *buf, uint32_t len);

/* The struct flash_ops entries every board's driver shares: read (as
 * flash_mem_read; ctx unused) and feed (the board's watchdog). */
int flash_mem_read_op(void *ctx, uint32_t addr, void *buf, uint32_t len);
void flash_mem_feed_op(void *ctx);

#endif
