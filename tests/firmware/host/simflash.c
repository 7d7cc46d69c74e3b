#include "simflash.h"
#include <stdio.h>
#include <string.h>

static uint32_t rnd(struct simflash *s)
{
    /* xorshift32: reproducible torn patterns */
    uint32_t x = s->rng ? s->rng : 0x12345678u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s->rng = x;
    return x;
}

static void violation(struct simflash *s, const char *what, uint32_t addr)
{
    s->violations++;
    snprintf(s->violation, sizeof s->violation, "%s at 0x%05x", what, (unsigned)addr);
}

/* Counts the operation; returns 1 if power is lost now. */
static int cut_now(struct simflash *s)
{
    s->ops++;
    return s->cut_at && s->ops == s->cut_at;
}

static int sim_read(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    struct simflash *s = ctx;
    if (addr >= FLASH_SIZE || len > FLASH_SIZE - addr) {
        violation(s, "read out of range", addr);
        return -1;
    }
    memcpy(buf, s->mem + addr, len);
    return 0;
}

static int sim_write(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    struct simflash *s = ctx;
    const uint8_t *src = buf;
    if (addr % FLASH_UNIT || len % FLASH_UNIT || len == 0) {
        violation(s, "misaligned write", addr);
        return -1;
    }
    if (addr < BOOTLOADER_SIZE || addr >= FLASH_SIZE || len > FLASH_SIZE - addr) {
        violation(s, "write outside writable flash", addr);
        return -1;
    }
    for (uint32_t u = addr / FLASH_UNIT; u < (addr + len) / FLASH_UNIT; u++) {
        if (s->programmed[u]) {
            violation(s, "second program of a unit without erase", u * FLASH_UNIT);
            return -1;
        }
    }
    s->writes++;
    if (cut_now(s)) {
        if (s->cut_mode == CUT_TORN) {
            /* Some units done, one partly done, the rest untouched. */
            uint32_t units = len / FLASH_UNIT;
            uint32_t done = rnd(s) % units;
            memcpy(s->mem + addr, src, done * FLASH_UNIT);
            uint32_t at = addr + done * FLASH_UNIT;
            if (rnd(s) % 4 == 0) {
                /* The target stores a unit as two 32-bit words: only the
                 * first one landed, the second is still erased. */
                for (uint32_t i = 0; i < FLASH_UNIT / 2; i++) {
                    s->mem[at + i] &= src[done * FLASH_UNIT + i];
                }
            } else {
                for (uint32_t i = 0; i < FLASH_UNIT; i++) {
                    s->mem[at + i] &= (uint8_t)(src[done * FLASH_UNIT + i] | rnd(s));
                }
            }
            for (uint32_t u = 0; u <= done; u++) {
                s->programmed[addr / FLASH_UNIT + u] = 1;
            }
        }
        longjmp(*s->on_cut, 1);
    }
    for (uint32_t i = 0; i < len; i++) {
        s->mem[addr + i] &= src[i];   /* programming only clears bits */
    }
    memset(s->programmed + addr / FLASH_UNIT, 1, len / FLASH_UNIT);
    return 0;
}

static int sim_erase(void *ctx, uint32_t addr)
{
    struct simflash *s = ctx;
    if (addr % FLASH_SECTOR_SIZE) {
        violation(s, "misaligned erase", addr);
        return -1;
    }
    if (addr < BOOTLOADER_SIZE || addr >= FLASH_SIZE) {
        violation(s, "erase outside writable flash", addr);
        return -1;
    }
    s->erases++;
    if (cut_now(s)) {
        if (s->cut_mode == CUT_TORN) {
            for (uint32_t i = 0; i < FLASH_SECTOR_SIZE; i++) {
                s->mem[addr + i] |= (uint8_t)rnd(s);
            }
            /* Units that do not read erased cannot be programmed without a
             * new erase; units that happen to read 0xFF look erased to the
             * firmware and are treated as such. */
            for (uint32_t u = 0; u < FLASH_SECTOR_SIZE / FLASH_UNIT; u++) {
                const uint8_t *p = s->mem + addr + u * FLASH_UNIT;
                int erased = 1;
                for (uint32_t i = 0; i < FLASH_UNIT; i++) {
                    erased &= p[i] == 0xFF;
                }
                s->programmed[addr / FLASH_UNIT + u] = (uint8_t)!erased;
            }
        }
        longjmp(*s->on_cut, 1);
    }
    memset(s->mem + addr, 0xFF, FLASH_SECTOR_SIZE);
    memset(s->programmed + addr / FLASH_UNIT, 0, FLASH_SECTOR_SIZE / FLASH_UNIT);
    return 0;
}

void sim_init(struct simflash *s)
{
    memset(s->mem, 0xFF, sizeof s->mem);
    memset(s->programmed, 0, sizeof s->programmed);
    s->ops = s->erases = s->writes = 0;
    s->cut_at = 0;
    s->cut_mode = CUT_BEFORE;
    s->rng = 0x2545F491u;
    s->on_cut = 0;
    s->violations = 0;
    s->violation[0] = '\0';
    s->ops_if.read = sim_read;
    s->ops_if.write = sim_write;
    s->ops_if.erase = sim_erase;
    s->ops_if.feed = 0;
    s->ops_if.ctx = s;
}

void sim_put(struct simflash *s, uint32_t addr, const void *data, uint32_t len)
{
    /* Factory programming: as if written once after an erase. */
    memcpy(s->mem + addr, data, len);
    for (uint32_t u = addr / FLASH_UNIT; u < (addr + len + FLASH_UNIT - 1) / FLASH_UNIT; u++) {
        s->programmed[u] = 1;
    }
}

const struct flash_ops *sim_ops(struct simflash *s)
{
    return &s->ops_if;
}
