/* Bounded reader for text command lines from an untrusted byte stream.
 * Hardware-free so it can be tested on the host. */
#ifndef LINEBUF_H
#define LINEBUF_H

#include <stdint.h>

#define LINEBUF_MAX 64  /* longest accepted command, without terminator */

enum line_result {
    LINE_NONE = 0,   /* byte consumed, no complete line yet */
    LINE_READY,      /* lb->buf holds a NUL-terminated printable command */
    LINE_BAD,        /* a line ended that was overlong or held non-printable bytes */
};

struct linebuf {
    char buf[LINEBUF_MAX + 1];
    uint16_t len;
    uint8_t bad;
};

void linebuf_reset(struct linebuf *lb);
enum line_result linebuf_feed(struct linebuf *lb, uint8_t c);

#endif
