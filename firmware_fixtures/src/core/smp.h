/* SMP (MCUmgr) over console, device side: the serial framing and the request dispatcher.
 *
 * Framing (Zephyr's "SMP over console"): a packet is
 *   be16 length | SMP message | be16 CRC-16/XMODEM of the message
 * (length counts message + CRC), base64-encoded and cut into lines of at
 * most 127 bytes: the first starts 06 09, the others 04 14, each ends '\n'
 * and decodes on its own. Anything else on the UART is console text.
 *
 * smp_link_feed() takes the UART one byte at a time and says whether the
 * byte is console text (pass it to the shell) or completed a packet. A
 * broken packet (bad base64, bad CRC, too long, a continuation without a
 * start) is dropped silently, as MCUmgr servers do: the client's request
 * times out and it retries; the next start line resynchronises. Nothing
 * here can wedge the shell: every '\n' ends a frame line.
 *
 * The message is an 8-byte header (op, flags, length, group, sequence, id;
 * big-endian) and a CBOR map. Hardware-free. */
#ifndef SMP_H
#define SMP_H

#include <stddef.h>
#include <stdint.h>

/* The decoded reassembly buffer (length + message + CRC), advertised as
 * MCUmgr's buf_size: clients send messages up to SMP_BUF_SIZE - 4 bytes. */
#define SMP_BUF_SIZE 1024u
#define SMP_LINE_MAX 128u      /* one frame line: marker, base64, '\n' */
#define SMP_HDR_SIZE 8u

enum smp_op { SMP_OP_READ = 0, SMP_OP_READ_RSP = 1, SMP_OP_WRITE = 2, SMP_OP_WRITE_RSP = 3 };

/* MCUmgr's general result codes (MGMT_ERR). */
enum smp_err {
    SMP_EOK = 0, SMP_EUNKNOWN = 1, SMP_ENOMEM = 2, SMP_EINVAL = 3, SMP_ETIMEOUT = 4, SMP_ENOENT = 5,
    SMP_EBADSTATE = 6, SMP_EMSGSIZE = 7, SMP_ENOTSUP = 8, SMP_ECORRUPT = 9, SMP_EBUSY = 10,
};

struct smp_hdr {
    uint8_t op;        /* enum smp_op */
    uint8_t version;   /* 0: v1, 1: v2 */
    uint8_t flags;
    uint16_t len;      /* CBOR bytes after the header */
    uint16_t group;
    uint8_t seq;
    uint8_t id;
};

enum smp_link_event {
    SMP_LINK_NONE = 0,   /* byte consumed (part of a frame line, or held) */
    SMP_LINK_TEXT,       /* the byte(s) in out_text are console text */
    SMP_LINK_PACKET,     /* a whole packet arrived: smp_link_message() */
};

struct smp_link {
    uint8_t at_line_start;
    uint8_t held;          /* a first marker byte at a line start, waiting for the second */
    uint8_t in_line;       /* collecting a frame line */
    uint8_t line_is_start;
    uint8_t broken;        /* the packet being assembled is dropped */
    uint8_t delivered;     /* the packet in buf was handed out (not a drop when the next starts) */
    uint8_t line[SMP_LINE_MAX];
    uint32_t line_len;
    uint8_t buf[SMP_BUF_SIZE];
    uint32_t have;         /* decoded bytes in buf */
    uint32_t want;         /* 2 + length, once the first line gave it; 0 before */
    uint32_t dropped;      /* packets dropped so far (for diagnostics) */
    uint8_t text[2];       /* the text byte(s) to pass on with SMP_LINK_TEXT */
    uint8_t text_len;
};

void smp_link_init(struct smp_link *l);
/* Feeds one received byte; with SMP_LINK_TEXT, l->text[0..text_len) is console text. */
enum smp_link_event smp_link_feed(struct smp_link *l, uint8_t byte);
/* The message of the packet just completed (header + CBOR, CRC checked). */
const uint8_t *smp_link_message(const struct smp_link *l, uint32_t *len);

int smp_hdr_parse(const uint8_t *msg, uint32_t len, struct smp_hdr *h);
void smp_hdr_write(uint8_t out[SMP_HDR_SIZE], const struct smp_hdr *h);

/* Sends a message as frame lines: put(ctx, bytes, n) is called per chunk. */
typedef void (*smp_put_fn)(void *ctx, const uint8_t *p, uint32_t n);
void smp_send(const uint8_t *msg, uint32_t len, smp_put_fn put, void *ctx);

/* -- requests -------------------------------------------------------------------- */

struct cbor_writer;

/* A handler reads the request's CBOR (body, n) and writes the response map
 * into w (starting with cbor_put_map), or returns an SMP error code (then the
 * dispatcher answers {"rc": code[, "rsn": *reason]}). */
typedef int (*smp_handler_fn)(void *ctx, const uint8_t *body, uint32_t n, struct cbor_writer *w, const char **reason);

struct smp_command {
    uint16_t group;
    uint8_t id;
    uint8_t op;              /* SMP_OP_READ or SMP_OP_WRITE */
    smp_handler_fn fn;
};

/* Answers one request message into rsp (capacity cap): the response header
 * echoes group, id and sequence with op + 1; an unknown command gets
 * {"rc": 8} (ENOTSUP). Returns the response length (0: none, e.g. a
 * response was received instead of a request). */
uint32_t smp_dispatch(const struct smp_command *table, uint32_t count, void *ctx,
                      const uint8_t *msg, uint32_t len, uint8_t *rsp, uint32_t cap);

#endif
