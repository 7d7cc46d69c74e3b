/* Board services every board shares: the reset-cause handoff through the
 * no-init block, the reset itself, and milliseconds from SysTick. Each
 * board layer (board.c, stm32f4/board.c) adds its watchdog, idle and
 * board_hw_reset_cause(). */
#include "board.h"
#include "cortexm.h"
#include "uart.h"
#include "../core/bootflow.h"

void board_set_reset_cause(uint32_t cause)
{
    NOINIT->cause = cause;
    NOINIT->magic = NOINIT_MAGIC;
}

uint32_t board_take_reset_cause(void)
{
    uint32_t cause = board_hw_reset_cause();
    if (NOINIT->magic == NOINIT_MAGIC && NOINIT->cause <= RC_MARK_BAD) {
        cause = NOINIT->cause;
    }
    NOINIT->magic = 0;
    NOINIT->cause = 0;
    return cause;
}

void board_reset(void)
{
    /* Let the last reply line leave the UART first. */
    uart_flush();
    __asm volatile("dsb");
    SCB_AIRCR = AIRCR_SYSRESETREQ;
    __asm volatile("dsb");
    for (;;) {
    }
}

static uint32_t tick_last;
static uint32_t tick_frac;

void board_ticks_init(void)
{
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 0x5u;     /* enable, processor clock, no interrupt */
    tick_last = SYST_CVR;
    tick_frac = 0;
}

uint32_t board_ticks_elapsed_ms(void)
{
    /* SysTick counts down and wraps every 2^24 cycles (0.67 s at 25 MHz,
     * 1.05 s at 16 MHz); callers poll far more often than that. */
    uint32_t now = SYST_CVR;
    tick_frac += (tick_last - now) & 0x00FFFFFFu;
    tick_last = now;
    uint32_t ms = tick_frac / (BOARD_CPU_HZ / 1000u);
    tick_frac -= ms * (BOARD_CPU_HZ / 1000u);
    return ms;
}
