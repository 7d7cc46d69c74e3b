/* QEMU mps2-an385: the CMSDK watchdog, the idle wake-ups and the reset cause. */
#include "board.h"
#include "mps2.h"
#include "../core/bootflow.h"

uint32_t board_hw_reset_cause(void)
{
    /* mps2 has no reset-cause register: a watchdog reset is told by the
     * app's NMI handler (WDOGINT comes one timeout before the reset). */
    return RC_POWER_ON;
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

#define IDLE_WAKE_MS 50u
#define IDLE_IRQS (((uint32_t)1u << UART0_RX_IRQ) | ((uint32_t)1u << TIMER0_IRQ))

void board_idle_init(void)
{
    board_ticks_init();
    __asm volatile("cpsid i");
    /* Timer 0 wakes the core every 50 ms: the watchdog is fed and SysTick
     * (the clock) is read many times per wrap. */
    TIMER0_RELOAD = BOARD_CPU_HZ / 1000u * IDLE_WAKE_MS;
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
