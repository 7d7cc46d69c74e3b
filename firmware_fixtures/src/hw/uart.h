#ifndef UART_H
#define UART_H

#include <stdint.h>

void uart_init(void);
void uart_putc(uint8_t c);
void uart_puts(const char *s);
/* Returns the received byte, or -1 when nothing is waiting. */
int uart_getc(void);

#endif
