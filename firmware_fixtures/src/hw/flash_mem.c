#include "flash_mem.h"
#include "board.h"
#include "../core/layout.h"

int flash_mem_read(uint32_t addr, void *buf, uint32_t len)
{
    uint32_t off = addr - FLASH_BASE;   /* below the base wraps to a huge offset */
    if (off >= FLASH_SIZE || len > FLASH_SIZE - off) {
        return -1;
    }
    const volatile uint8_t *src = (const volatile uint8_t *)(uintptr_t)addr;
    uint8_t *dst = buf;
    while (len--) {
        *dst++ = *src++;
    }
    return 0;
}

int flash_mem_erased(uint32_t addr, uint32_t len)
{
    const volatile uint32_t *w = (const volatile uint32_t *)(uintptr_t)addr;
    for (uint32_t i = 0; i < len / 4u; i++) {
        if (w[i] != 0xFFFFFFFFu) {
            return 0;
        }
    }
    return 1;
}

void flash_mem_store(uint32_t addr, const void *buf, uint32_t len)
{
    volatile uint32_t *dst = (volatile uint32_t *)(uintptr_t)addr;
    const uint8_t *src = buf;
    for (uint32_t i = 0; i < len / 4u; i++) {
        dst[i] = (uint32_t)src[4u * i] | (uint32_t)src[4u * i + 1u] << 8 |
                 (uint32_t)src[4u * i + 2u] << 16 | (uint32_t)src[4u * i + 3u] << 24;
    }
}

int flash_mem_read_op(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    (void)ctx;
    return flash_mem_read(addr, buf, len);
}

void flash_mem_feed_op(void *ctx)
{
    (void)ctx;
    board_wdog_feed();
}
