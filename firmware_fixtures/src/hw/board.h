/* Board services: reset, reset-cause handoff, watchdog, millisecond ticks. */
#ifndef BOARD_H
#define BOARD_H

#include <stdint.h>

/* 256-byte no-init block shared by bootloader and app. QEMU zeroes RAM at
 * power-on (and a power cut restarts QEMU), while watchdog and SYSRESETREQ
 * resets keep it, so a valid magic means "the previous run left a cause". */
#define NOINIT_ADDR     0x2003FF00u
#define NOINIT_MAGIC    0x52435355u   /* cause handoff app -> bootloader */
#define BOOTINFO_MAGIC  0x4F464E49u   /* boot report bootloader -> app */

struct noinit {
    uint32_t magic;         /* NOINIT_MAGIC when cause is valid */
    uint32_t cause;         /* enum reset_cause, written by the app before a reset */
    uint32_t boot_magic;    /* BOOTINFO_MAGIC when the fields below are valid */
    uint32_t boot_cause;    /* reset cause the bootloader decoded at this boot */
};

#define NOINIT ((volatile struct noinit *)NOINIT_ADDR)

void board_set_reset_cause(uint32_t cause);
/* Bootloader: returns the cause left by the previous run and clears it. */
uint32_t board_take_reset_cause(void);

__attribute__((noreturn)) void board_reset(void);

void board_wdog_start(void);    /* ~1 s to NMI, ~2 s to reset */
void board_wdog_feed(void);

void board_ticks_init(void);
uint32_t board_ticks_elapsed_ms(void);  /* ms since the previous call */

#endif
