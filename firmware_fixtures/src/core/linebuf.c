#include "linebuf.h"

void linebuf_reset(struct linebuf *lb)
{
    lb->len = 0;
    lb->bad = 0;
    lb->buf[0] = '\0';
}

enum line_result linebuf_feed(struct linebuf *lb, uint8_t c)
{
    if (c == '\r' || c == '\n') {
        enum line_result r = LINE_NONE;
        if (lb->bad) {
            r = LINE_BAD;
        } else if (lb->len > 0) {
            lb->buf[lb->len] = '\0';
            r = LINE_READY;
        }
        if (r != LINE_READY) {
            linebuf_reset(lb);
        } else {
            /* Caller consumes buf, then the next byte starts a new line. */
            lb->len = 0;
        }
        return r;
    }
    if (c < 0x20 || c > 0x7E) {
        lb->bad = 1;        /* never stored, never echoed */
        return LINE_NONE;
    }
    if (lb->len >= LINEBUF_MAX) {
        lb->bad = 1;        /* overlong: drop the rest of the line */
        return LINE_NONE;
    }
    lb->buf[lb->len++] = (char)c;
    return LINE_NONE;
}
