/* STM32F405/407: the independent watchdog, the idle wake-ups (TIM2 and
 * USART2's receive interrupt) and the reset cause from RCC_CSR. The clock
 * stays on the 16 MHz HSI the part starts on. */
#include "../board.h"
#include "stm32f4.h"
#include "../../core/bootflow.h"

uint32_t board_hw_reset_cause(void)
{
    /* The IWDG has no early-warning interrupt: the cause is read from the
     * reset flags, which hold until cleared (RMVF). */
    uint32_t csr = RCC_CSR;
    RCC_CSR = csr | RCC_CSR_RMVF;
    return (csr & RCC_CSR_IWDGRSTF) ? RC_WATCHDOG : RC_POWER_ON;
}

void board_wdog_start(void)
{
    /* LSI 32 kHz / 32 (PR = 3) = 1 kHz; 2,000 counts = 2 s to the reset. */
    IWDG_KR = IWDG_KEY_START;
    IWDG_KR = IWDG_KEY_ACCESS;
    IWDG_PR = 3u;
    IWDG_RLR = 2000u;
    while (IWDG_SR & 0x3u) {    /* PVU, RVU: the values reach the LSI domain */
    }
    IWDG_KR = IWDG_KEY_RELOAD;
}

void board_wdog_feed(void)
{
    IWDG_KR = IWDG_KEY_RELOAD;
}

#define IDLE_WAKE_MS 50u

void board_idle_init(void)
{
    board_ticks_init();
    __asm volatile("cpsid i");
    /* TIM2 wakes the core every 50 ms (16 MHz / 16,000 = 1 kHz, 50 counts). */
    RCC_APB1ENR |= RCC_APB1ENR_TIM2EN;
    TIM2_PSC = BOARD_CPU_HZ / 1000u - 1u;
    TIM2_ARR = IDLE_WAKE_MS - 1u;
    TIM2_EGR = TIM_EGR_UG;      /* load the prescaler now */
    TIM2_SR = 0;
    TIM2_DIER = TIM_DIER_UIE;
    TIM2_CR1 = TIM_CR1_CEN;
    USART_CR1 |= USART_CR1_RXNEIE;
    NVIC_ISER(0) = (uint32_t)1u << TIM2_IRQ;
    NVIC_ISER(1) = (uint32_t)1u << (USART2_IRQ - 32u);
}

void board_idle(void)
{
    TIM2_SR = 0;
    NVIC_ICPR(0) = (uint32_t)1u << TIM2_IRQ;
    NVIC_ICPR(1) = (uint32_t)1u << (USART2_IRQ - 32u);
    /* A byte that came in after the caller looked: do not sleep on it
     * (RXNE keeps USART2's interrupt line up until DR is read). */
    if (!(USART_SR & USART_SR_RXNE)) {
        __asm volatile("wfi");
    }
}
