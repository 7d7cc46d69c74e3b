#include "uart.h"
#include "mps2.h"

void uart_init(void)
{
    UART_BAUDDIV = 16;
    UART_CTRL = UART_CTRL_TX_EN | UART_CTRL_RX_EN;
}

void uart_putc(uint8_t c)
{
    while (UART_STATE & UART_STATE_TXFULL) {
    }
    UART_DATA = c;
}

void uart_flush(void)
{
    while (UART_STATE & UART_STATE_TXFULL) {
    }
}

int uart_getc(void)
{
    if (UART_STATE & UART_STATE_RXFULL) {
        return (int)(UART_DATA & 0xFFu);
    }
    return -1;
}
