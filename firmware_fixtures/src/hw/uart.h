#ifndef UART_H
#define UART_H

#include <stdint.h>

void uart_init(void);
void uart_putc(uint8_t c);
void uart_puts(const char *s);
/* `n` bytes (an smp_put_fn: `ctx` unused). */
void uart_write(void *ctx, const uint8_t *p, uint32_t n);
/* Waits until the transmitter has taken every byte (before a reset). */
void uart_flush(void);
/* Returns the received byte, or -1 when nothing is waiting. */
int uart_getc(void);

#endif
