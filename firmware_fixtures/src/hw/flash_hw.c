/* The first MiB of SSRAM1 (plain RAM on QEMU mps2-an385) stands in for
 * flash with the rules of NOR/ECC flash: 4 KiB erase sectors, 8-byte
 * program units, erased = 0xFF, each unit programmed at most once per
 * erase. This layer refuses anything real flash would refuse, so the
 * firmware cannot come to depend on RAM behaviour. Every write and erase is
 * one counted operation. */
#include "flash_hw.h"
#include "flash_mem.h"
#include "../core/layout.h"

volatile uint32_t flash_op_count;

static int in_writable(uint32_t addr, uint32_t len)
{
    /* The bootloader region is write-protected. */
    return addr >= BOOTLOADER_BASE + BOOTLOADER_SIZE && addr < FLASH_SIZE &&
           len <= FLASH_SIZE - addr;
}

static int hw_write(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    (void)ctx;
    if (addr % FLASH_UNIT || len % FLASH_UNIT || !in_writable(addr, len)) {
        return -1;
    }
    if (!flash_mem_erased(addr, len)) {
        return -1;   /* unit not erased: real flash would corrupt it */
    }
    flash_op_count++;
    flash_mem_store(addr, buf, len);
    return 0;
}

static int hw_erase(void *ctx, uint32_t addr)
{
    (void)ctx;
    if (addr % FLASH_SECTOR_SIZE || !in_writable(addr, FLASH_SECTOR_SIZE)) {
        return -1;
    }
    flash_op_count++;
    volatile uint32_t *dst = (volatile uint32_t *)(uintptr_t)addr;
    for (uint32_t i = 0; i < FLASH_SECTOR_SIZE / 4; i++) {
        dst[i] = 0xFFFFFFFFu;
    }
    return 0;
}

const struct flash_ops flash_hw = {
    .read = flash_mem_read_op,
    .write = hw_write,
    .erase = hw_erase,
    .feed = flash_mem_feed_op,
    .ctx = 0,
};
