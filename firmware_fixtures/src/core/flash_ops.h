/* The one interface through which the shared code touches flash. The
 * target implements it with CPU stores (src/hw/flash_hw.c); the host tests
 * implement it with a strict simulated flash. Every write and erase is one
 * countable operation, so power cuts can be placed at each of them.
 * Addresses are absolute flash addresses. All functions return 0 on success. */
#ifndef FLASH_OPS_H
#define FLASH_OPS_H

#include <stdint.h>

struct flash_ops {
    int (*read)(void *ctx, uint32_t addr, void *buf, uint32_t len);
    /* addr and len multiples of FLASH_UNIT; every unit must be erased. */
    int (*write)(void *ctx, uint32_t addr, const void *buf, uint32_t len);
    /* addr the start of a sector (SLOT_SECTOR_SIZE in a slot, JOURNAL_SECTOR_SIZE in
     * the journal); erases that one sector. */
    int (*erase)(void *ctx, uint32_t addr);
    /* Called during long loops (hashing, copying) to feed a watchdog; may be NULL. */
    void (*feed)(void *ctx);
    void *ctx;
};

static inline int flash_read(const struct flash_ops *f, uint32_t addr, void *buf, uint32_t len)
{
    return f->read(f->ctx, addr, buf, len);
}

static inline int flash_write(const struct flash_ops *f, uint32_t addr, const void *buf, uint32_t len)
{
    return f->write(f->ctx, addr, buf, len);
}

static inline int flash_erase(const struct flash_ops *f, uint32_t addr)
{
    return f->erase(f->ctx, addr);
}

static inline void flash_feed(const struct flash_ops *f)
{
    if (f->feed) {
        f->feed(f->ctx);
    }
}

#endif
