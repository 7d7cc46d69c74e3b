/* Demo firmware v0: a standalone app linked at 0x0 (no bootloader).
 * Prints its banner, then answers text commands on UART0. */
#include "../hw/mps2.h"
#include "../hw/uart.h"
#include "../core/linebuf.h"
#include "../core/strfmt.h"

static void reply(const char *line)
{
    uart_puts(line);
    uart_puts("\r\n");
}

int main(void)
{
    static struct linebuf lb;

    uart_init();
    reply("app v1.0.0 slot=A");
    linebuf_reset(&lb);
    for (;;) {
        int c = uart_getc();
        if (c < 0) {
            continue;
        }
        enum line_result r = linebuf_feed(&lb, (uint8_t)c);
        if (r == LINE_BAD) {
            reply("? unknown command");
        } else if (r == LINE_READY) {
            if (str_eq(lb.buf, "version")) {
                reply("version 1.0.0 slot=A");
            } else if (str_eq(lb.buf, "reboot")) {
                reply("rebooting");
                while (UART_STATE & UART_STATE_TXFULL) {
                }
                SCB_AIRCR = AIRCR_SYSRESETREQ;
                for (;;) {
                }
            } else {
                reply("? unknown command");
            }
        }
    }
}
