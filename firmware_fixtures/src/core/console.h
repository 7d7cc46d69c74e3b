/* Splits the UART byte stream into text command lines and, where frames are
 * on (the bootloader's recovery mode), COBS frames. With frames off (the
 * apps, which take updates over SMP) a 0x00 is just a non-printable byte:
 * its line is a bad line, and the next line is a command again.
 * Text lines never contain 0x00, so a 0x00 switches to frame mode; the next
 * 0x00 after at least one byte ends the frame (`00 <cobs> 00`). Empty
 * frames (`00 00`) are skipped. A partial frame is dropped after
 * CONSOLE_FRAME_IDLE_MS without input. Hardware-free. */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdint.h>
#include "linebuf.h"

#define OTA_MAX_PAYLOAD      512u
#define OTA_FRAME_OVERHEAD   13u     /* type 1, seq 2, offset 4, len 2, crc 4 */
#define OTA_FRAME_MAX        (OTA_MAX_PAYLOAD + OTA_FRAME_OVERHEAD)
#define CONSOLE_FRAME_MAX    (OTA_FRAME_MAX + OTA_FRAME_MAX / 254u + 2u)  /* COBS worst case */
#define CONSOLE_FRAME_IDLE_MS 1000u

enum con_event {
    CON_NONE = 0,
    CON_LINE,            /* c->lb.buf holds a command */
    CON_BAD_LINE,        /* overlong or non-printable text line */
    CON_FRAME,           /* c->frame[0..flen) holds the COBS bytes */
    CON_FRAME_OVERLONG,  /* frame longer than CONSOLE_FRAME_MAX, dropped */
    CON_FRAME_TIMEOUT,   /* partial frame dropped after the idle time */
};

struct console {
    struct linebuf lb;
    uint8_t frames;
    uint8_t in_frame;
    uint8_t overlong;
    uint16_t flen;
    uint32_t idle_ms;
    uint8_t frame[CONSOLE_FRAME_MAX];
};

void console_init(struct console *c, int frames);
enum con_event console_feed(struct console *c, uint8_t byte);
/* Call with the milliseconds elapsed since the previous call. */
enum con_event console_tick(struct console *c, uint32_t elapsed_ms);
int console_in_frame(const struct console *c);

#endif
