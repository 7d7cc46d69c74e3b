/* Board services: reset, reset-cause handoff, watchdog, millisecond ticks. */
#ifndef BOARD_H
#define BOARD_H

#include <stdint.h>

/* 256-byte no-init block shared by bootloader and app, at the top of the
 * SRAM the apps use. An emulator clears RAM at power-on (real RAM holds
 * garbage), while watchdog and SYSRESETREQ resets keep it, so a valid magic
 * means "the previous run left a cause". */
#if defined(BOARD_STM32F4)
#define NOINIT_ADDR     0x2001FF00u   /* top of the 128 KiB SRAM1+2 */
#define BOARD_CPU_HZ    16000000u     /* the HSI the part starts on */
#else
#define NOINIT_ADDR     0x2003FF00u
#define BOARD_CPU_HZ    25000000u     /* mps2-an385 SYSCLK in QEMU */
#endif
#define NOINIT_MAGIC    0x52435355u   /* cause handoff app -> bootloader */
#define BOOTINFO_MAGIC  0x4F464E49u   /* boot report bootloader -> app */

struct noinit {
    uint32_t magic;         /* NOINIT_MAGIC when cause is valid */
    uint32_t cause;         /* enum reset_cause, written by the app before a reset */
    uint32_t boot_magic;    /* BOOTINFO_MAGIC when the fields below are valid */
    uint32_t boot_cause;    /* reset cause the bootloader decoded at this boot */
    uint32_t app_magic;     /* APPSTATE_MAGIC when the app's fields below are valid */
    uint32_t crashes;       /* HardFaults since power-on (the app's metrics) */
    uint32_t battery_uv;    /* the simulated battery, in microvolts */
};

#define APPSTATE_MAGIC  0x54415453u

#define NOINIT ((volatile struct noinit *)NOINIT_ADDR)

void board_set_reset_cause(uint32_t cause);
/* Bootloader: returns the cause left by the previous run and clears it. */
uint32_t board_take_reset_cause(void);
/* The board's own reset flags: RC_WATCHDOG when its watchdog reset it, else
 * RC_POWER_ON (a cause the app left takes precedence). Clears the flags. */
uint32_t board_hw_reset_cause(void);

__attribute__((noreturn)) void board_reset(void);

void board_wdog_start(void);    /* ~1 s to NMI, ~2 s to reset */
void board_wdog_feed(void);

void board_ticks_init(void);
uint32_t board_ticks_elapsed_ms(void);  /* ms since the previous call */

/* The app's idle: interrupts stay masked (PRIMASK); the UART's RX interrupt and a
 * 50 ms timer are enabled only to end a WFI (a pending interrupt wakes the core
 * even while masked), so an idle device sleeps instead of spinning. Starts the
 * ticks too. */
void board_idle_init(void);
void board_idle(void);

#endif
