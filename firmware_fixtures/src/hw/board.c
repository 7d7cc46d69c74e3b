#include "board.h"
#include "mps2.h"
#include "../core/bootflow.h"

#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)
#define CPU_HZ   25000000u   /* mps2-an385 SYSCLK in QEMU */

void board_set_reset_cause(uint32_t cause)
{
    NOINIT->cause = cause;
    NOINIT->magic = NOINIT_MAGIC;
}

uint32_t board_take_reset_cause(void)
{
    uint32_t cause = RC_POWER_ON;
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
    while (UART_STATE & UART_STATE_TXFULL) {
    }
    __asm volatile("dsb");
    SCB_AIRCR = AIRCR_SYSRESETREQ;
    __asm volatile("dsb");
    for (;;) {
    }
}

void board_wdog_start(void)
{
    WDOG_LOCK = WDOG_UNLOCK_KEY;
    WDOG_LOAD = WDOG_TICKS_1S;
    WDOG_CTRL = WDOG_CTRL_INTEN | WDOG_CTRL_RESEN;
    WDOG_LOCK = 0;
}

void board_wdog_feed(void)
{
    WDOG_LOCK = WDOG_UNLOCK_KEY;
    WDOG_INTCLR = 1;     /* clears the interrupt and reloads the counter */
    WDOG_LOCK = 0;
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

#define IDLE_WAKE_MS 50u
#define IDLE_IRQS ((1u << UART0_RX_IRQ) | (1u << TIMER0_IRQ))

void board_idle_init(void)
{
    board_ticks_init();
    __asm volatile("cpsid i");
    /* Timer 0 wakes the core every 50 ms: the watchdog is fed and SysTick
     * (the clock) is read many times per wrap. */
    TIMER0_RELOAD = CPU_HZ / 1000u * IDLE_WAKE_MS;
    TIMER0_CTRL = TIMER_CTRL_EN | TIMER_CTRL_IRQEN;
    UART_CTRL |= UART_CTRL_RX_INTEN;
    NVIC_ISER0 = IDLE_IRQS;
}

void board_idle(void)
{
    UART_INTSTATUS = UART_INT_RX;
    TIMER0_INTCLEAR = 1u;
    NVIC_ICPR0 = IDLE_IRQS;
    /* A byte that came in after the caller looked: do not sleep on it. */
    if (!(UART_STATE & UART_STATE_RXFULL)) {
        __asm volatile("wfi");
    }
}

uint32_t board_ticks_elapsed_ms(void)
{
    /* SysTick counts down and wraps every 0.67 s at 25 MHz; callers poll
     * far more often than that. */
    uint32_t now = SYST_CVR;
    tick_frac += (tick_last - now) & 0x00FFFFFFu;
    tick_last = now;
    uint32_t ms = tick_frac / (CPU_HZ / 1000u);
    tick_frac -= ms * (CPU_HZ / 1000u);
    return ms;
}
