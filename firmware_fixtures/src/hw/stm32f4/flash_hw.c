/* The STM32F4's own flash through its flash interface (RM0090 §3.6):
 * unlock with the two keys, sector erase (SER, SNB, STRT), programming in
 * 32-bit words (PG, PSIZE x32), BSY polled, the errors in SR checked, locked
 * again after every operation. The rules are the part's: erase by whole
 * sectors of 16, 64 or 128 KiB, and (the demo's rule, as for the mps2 build)
 * every 8-byte unit programmed only while erased. The bootloader's sectors
 * are refused. Every write and erase is one counted operation. */
#include "../flash_hw.h"
#include "../flash_mem.h"
#include "stm32f4.h"
#include "../../core/layout.h"

volatile uint32_t flash_op_count;

static int in_writable(uint32_t addr, uint32_t len)
{
    return addr >= BOOTLOADER_BASE + BOOTLOADER_SIZE && addr < FLASH_BASE + FLASH_SIZE &&
           len <= FLASH_BASE + FLASH_SIZE - addr;
}

static void unlock(void)
{
    if (FLASH_CR & FLASH_CR_LOCK) {
        FLASH_KEYR = FLASH_KEY1;
        FLASH_KEYR = FLASH_KEY2;
    }
}

/* Waits for the operation to end, clears its flags, locks; 0 when it went well. */
static int finish(void)
{
    while (FLASH_SR & FLASH_SR_BSY) {
    }
    uint32_t sr = FLASH_SR;
    FLASH_SR = sr;              /* the flags are cleared by writing 1 */
    FLASH_CR = FLASH_CR_LOCK;
    return (sr & FLASH_SR_ERRORS) ? -1 : 0;
}

static int hw_write(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    (void)ctx;
    if (addr % FLASH_UNIT || len % FLASH_UNIT || !in_writable(addr, len)) {
        return -1;
    }
    if (!flash_mem_erased(addr, len)) {
        return -1;   /* unit not erased */
    }
    flash_op_count++;
    unlock();
    FLASH_CR = FLASH_CR_PSIZE_X32 | FLASH_CR_PG;
    flash_mem_store(addr, buf, len);   /* a store while BSY stalls until the previous one is done */
    return finish();
}

static int hw_erase(void *ctx, uint32_t addr)
{
    (void)ctx;
    if (addr < FLASH_BASE || addr >= FLASH_BASE + FLASH_SIZE) {
        return -1;
    }
    uint32_t sector = stm32f4_sector_of(addr);
    if (addr != stm32f4_sector_start(sector) || !in_writable(addr, stm32f4_sector_size(sector))) {
        return -1;
    }
    flash_op_count++;
    unlock();
    FLASH_CR = FLASH_CR_PSIZE_X32 | FLASH_CR_SER | FLASH_CR_SNB(sector);
    FLASH_CR = FLASH_CR_PSIZE_X32 | FLASH_CR_SER | FLASH_CR_SNB(sector) | FLASH_CR_STRT;
    return finish();
}

const struct flash_ops flash_hw = {
    .read = flash_mem_read_op,
    .write = hw_write,
    .erase = hw_erase,
    .feed = flash_mem_feed_op,
    .ctx = 0,
};
