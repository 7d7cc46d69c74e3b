/* Text and byte output on top of each board's uart_putc. */
#include "uart.h"

void uart_puts(const char *s)
{
    while (*s) {
        uart_putc((uint8_t)*s++);
    }
}

void uart_write(void *ctx, const uint8_t *p, uint32_t n)
{
    (void)ctx;
    for (uint32_t i = 0; i < n; i++) {
        uart_putc(p[i]);
    }
}
