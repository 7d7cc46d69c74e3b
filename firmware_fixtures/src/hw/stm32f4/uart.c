/* The console on USART2 (PA2/PA3), 115200 8N1 from the 16 MHz HSI. */
#include "../uart.h"
#include "stm32f4.h"

void uart_init(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
    RCC_APB1ENR |= RCC_APB1ENR_USART2EN;
    /* PA2, PA3: alternate function mode (0b10), AF7. */
    GPIOA_MODER = (GPIOA_MODER & ~0x000000F0u) | 0x000000A0u;
    GPIOA_AFRL = (GPIOA_AFRL & ~0x0000FF00u) | 0x00007700u;
    USART_BRR = 139u;    /* 16 MHz / 115200 = 138.9 */
    USART_CR1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE;
}

void uart_putc(uint8_t c)
{
    while (!(USART_SR & USART_SR_TXE)) {
    }
    USART_DR = c;
}

void uart_flush(void)
{
    while (!(USART_SR & USART_SR_TC)) {
    }
}

int uart_getc(void)
{
    if (USART_SR & USART_SR_RXNE) {
        return (int)(USART_DR & 0xFFu);
    }
    return -1;
}
