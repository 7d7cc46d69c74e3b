/* Register map of the STM32F405/407 peripherals the demo firmware uses
 * (RM0090): RCC, GPIOA, USART2, IWDG, TIM2 and the flash interface. */
#ifndef STM32F4_H
#define STM32F4_H

#include "../cortexm.h"

/* Reset and clock control */
#define RCC_BASE        0x40023800u
#define RCC_AHB1ENR     REG32(RCC_BASE + 0x30u)
#define RCC_APB1ENR     REG32(RCC_BASE + 0x40u)
#define RCC_CSR         REG32(RCC_BASE + 0x74u)
#define RCC_AHB1ENR_GPIOAEN  0x00000001u
#define RCC_APB1ENR_TIM2EN   0x00000001u
#define RCC_APB1ENR_USART2EN 0x00020000u
#define RCC_CSR_RMVF     0x01000000u
#define RCC_CSR_IWDGRSTF 0x20000000u

/* GPIOA: PA2 (TX) and PA3 (RX) in alternate function 7, USART2 */
#define GPIOA_BASE      0x40020000u
#define GPIOA_MODER     REG32(GPIOA_BASE + 0x00u)
#define GPIOA_AFRL      REG32(GPIOA_BASE + 0x20u)

/* USART2 (APB1, 16 MHz from the HSI after reset) */
#define USART2_BASE     0x40004400u
#define USART_SR        REG32(USART2_BASE + 0x00u)
#define USART_DR        REG32(USART2_BASE + 0x04u)
#define USART_BRR       REG32(USART2_BASE + 0x08u)
#define USART_CR1       REG32(USART2_BASE + 0x0Cu)
#define USART_SR_RXNE   0x00000020u
#define USART_SR_TC     0x00000040u
#define USART_SR_TXE    0x00000080u
#define USART_CR1_RE    0x00000004u
#define USART_CR1_TE    0x00000008u
#define USART_CR1_RXNEIE 0x00000020u
#define USART_CR1_UE    0x00002000u
#define USART2_IRQ      38u

/* Independent watchdog, clocked by the 32 kHz LSI */
#define IWDG_BASE       0x40003000u
#define IWDG_KR         REG32(IWDG_BASE + 0x00u)
#define IWDG_PR         REG32(IWDG_BASE + 0x04u)
#define IWDG_RLR        REG32(IWDG_BASE + 0x08u)
#define IWDG_SR         REG32(IWDG_BASE + 0x0Cu)
#define IWDG_KEY_ACCESS 0x5555u
#define IWDG_KEY_RELOAD 0xAAAAu
#define IWDG_KEY_START  0xCCCCu

/* TIM2 (APB1 timer clock 16 MHz after reset) */
#define TIM2_BASE       0x40000000u
#define TIM2_CR1        REG32(TIM2_BASE + 0x00u)
#define TIM2_DIER       REG32(TIM2_BASE + 0x0Cu)
#define TIM2_SR         REG32(TIM2_BASE + 0x10u)
#define TIM2_EGR        REG32(TIM2_BASE + 0x14u)
#define TIM2_PSC        REG32(TIM2_BASE + 0x28u)
#define TIM2_ARR        REG32(TIM2_BASE + 0x2Cu)
#define TIM_CR1_CEN     0x00000001u
#define TIM_DIER_UIE    0x00000001u
#define TIM_EGR_UG      0x00000001u
#define TIM2_IRQ        28u

/* Flash interface */
#define FLASH_IF_BASE   0x40023C00u
#define FLASH_KEYR      REG32(FLASH_IF_BASE + 0x04u)
#define FLASH_SR        REG32(FLASH_IF_BASE + 0x0Cu)
#define FLASH_CR        REG32(FLASH_IF_BASE + 0x10u)
#define FLASH_KEY1      0x45670123u
#define FLASH_KEY2      0xCDEF89ABu
#define FLASH_SR_ERRORS 0xF2u            /* OPERR, WRPERR, PGAERR, PGPERR, PGSERR */
#define FLASH_SR_BSY    0x00010000u
#define FLASH_CR_PG     0x00000001u
#define FLASH_CR_SER    0x00000002u
#define FLASH_CR_SNB(n) ((uint32_t)(n) * 8u)   /* bits 3-6 */
#define FLASH_CR_PSIZE_X32 0x00000200u
#define FLASH_CR_STRT   0x00010000u
#define FLASH_CR_LOCK   0x80000000u

#endif
