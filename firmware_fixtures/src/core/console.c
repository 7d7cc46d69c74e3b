#include "console.h"

void console_init(struct console *c, int frames)
{
    linebuf_reset(&c->lb);
    c->frames = frames ? 1u : 0u;
    c->in_frame = 0;
    c->overlong = 0;
    c->flen = 0;
    c->idle_ms = 0;
}

enum con_event console_feed(struct console *c, uint8_t byte)
{
    if (!c->in_frame) {
        if (byte == 0x00 && c->frames) {
            linebuf_reset(&c->lb);   /* a partial text line is abandoned */
            c->in_frame = 1;
            c->overlong = 0;
            c->flen = 0;
            c->idle_ms = 0;
            return CON_NONE;
        }
        switch (linebuf_feed(&c->lb, byte)) {
        case LINE_READY: return CON_LINE;
        case LINE_BAD: return CON_BAD_LINE;
        default: return CON_NONE;
        }
    }
    c->idle_ms = 0;
    if (byte == 0x00) {
        if (c->flen == 0 && !c->overlong) {
            return CON_NONE;         /* `00 00`: still waiting for a frame */
        }
        c->in_frame = 0;
        return c->overlong ? CON_FRAME_OVERLONG : CON_FRAME;
    }
    if (c->flen >= CONSOLE_FRAME_MAX) {
        c->overlong = 1;
        return CON_NONE;
    }
    c->frame[c->flen++] = byte;
    return CON_NONE;
}

enum con_event console_tick(struct console *c, uint32_t elapsed_ms)
{
    if (!c->in_frame) {
        return CON_NONE;
    }
    c->idle_ms += elapsed_ms;
    if (c->idle_ms < CONSOLE_FRAME_IDLE_MS) {
        return CON_NONE;
    }
    c->in_frame = 0;
    /* A lone stray 0x00 is forgotten silently; a cut-off frame is reported. */
    return (c->flen || c->overlong) ? CON_FRAME_TIMEOUT : CON_NONE;
}

int console_in_frame(const struct console *c)
{
    return c->in_frame;
}
