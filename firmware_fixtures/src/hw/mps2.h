/* Register map of the QEMU mps2-an385 peripherals the demo firmware uses
 * (CMSDK APB UART and watchdog, Cortex-M3 SCB). */
#ifndef MPS2_H
#define MPS2_H

#include "cortexm.h"

/* CMSDK APB UART0 */
#define UART0_BASE      0x40004000u
#define UART_DATA       REG32(UART0_BASE + 0x00)
#define UART_STATE      REG32(UART0_BASE + 0x04)
#define UART_CTRL       REG32(UART0_BASE + 0x08)
#define UART_BAUDDIV    REG32(UART0_BASE + 0x10)
#define UART_STATE_TXFULL 0x1u
#define UART_STATE_RXFULL 0x2u
#define UART_CTRL_TX_EN   0x1u
#define UART_CTRL_RX_EN   0x2u
#define UART_INTSTATUS  REG32(UART0_BASE + 0x0C)
#define UART_CTRL_RX_INTEN 0x8u
#define UART_INT_RX       0x2u
/* mps2-an385: UART0's RX interrupt is external interrupt 0. */
#define UART0_RX_IRQ    0u
/* CMSDK APB timer 0 (PCLK 25 MHz in QEMU); its interrupt is external interrupt 8. */
#define TIMER0_BASE     0x40000000u
#define TIMER0_CTRL     REG32(TIMER0_BASE + 0x00)
#define TIMER0_RELOAD   REG32(TIMER0_BASE + 0x08)
#define TIMER0_INTCLEAR REG32(TIMER0_BASE + 0x0C)
#define TIMER_CTRL_EN   0x1u
#define TIMER_CTRL_IRQEN 0x8u
#define TIMER0_IRQ      8u
#define NVIC_ISER0      NVIC_ISER(0)
#define NVIC_ICPR0      NVIC_ICPR(0)


/* CMSDK APB watchdog: WDOGINT drives NMI, the second timeout resets. */
#define WDOG_BASE       0x40008000u
#define WDOG_LOAD       REG32(WDOG_BASE + 0x000)
#define WDOG_VALUE      REG32(WDOG_BASE + 0x004)
#define WDOG_CTRL       REG32(WDOG_BASE + 0x008)
#define WDOG_INTCLR     REG32(WDOG_BASE + 0x00C)
#define WDOG_LOCK       REG32(WDOG_BASE + 0xC00)
#define WDOG_UNLOCK_KEY 0x1ACCE551u
#define WDOG_CTRL_INTEN 0x1u
#define WDOG_CTRL_RESEN 0x2u
/* QEMU clocks the mps2 watchdog at 25 MHz: 25,000,000 ticks = 1 s per timeout. */
#define WDOG_TICKS_1S   25000000u

#endif
