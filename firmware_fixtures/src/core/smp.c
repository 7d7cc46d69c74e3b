#include "smp.h"
#include "base64.h"
#include "cbor.h"
#include "crc16.h"

#define START0 0x06u
#define START1 0x09u
#define CONT0  0x04u
#define CONT1  0x14u

void smp_link_init(struct smp_link *l)
{
    l->at_line_start = 1;
    l->held = 0;
    l->in_line = 0;
    l->line_is_start = 0;
    l->broken = 0;
    l->delivered = 0;
    l->line_len = 0;
    l->have = 0;
    l->want = 0;
    l->dropped = 0;
    l->text_len = 0;
}

static void drop(struct smp_link *l)
{
    if ((l->want || l->have) && !l->delivered) {
        l->dropped++;
    }
    l->delivered = 0;
    l->have = 0;
    l->want = 0;
    l->broken = 0;
}

/* A whole frame line (without its marker and '\n') arrived: decode it into the packet. */
static enum smp_link_event line_done(struct smp_link *l)
{
    uint32_t room = SMP_BUF_SIZE - l->have;
    if (l->line_is_start) {
        drop(l);                 /* a new start line: whatever was half done is gone */
        room = SMP_BUF_SIZE;
    } else if (l->want == 0 || l->broken || l->delivered) {
        if (!l->broken) {
            l->dropped++;        /* a continuation without a (good) start: dropped once */
        }
        l->broken = 1;
        return SMP_LINK_NONE;
    }
    int n = b64_decode(l->line, l->line_len, l->buf + l->have, room);
    if (n < 0) {
        l->broken = 1;
        l->dropped++;
        return SMP_LINK_NONE;
    }
    l->have += (uint32_t)n;
    if (l->line_is_start) {
        if (l->have < 2) {
            l->broken = 1;
            l->dropped++;
            return SMP_LINK_NONE;
        }
        uint32_t length = (uint32_t)l->buf[0] << 8 | l->buf[1];
        if (length < SMP_HDR_SIZE + 2u || length + 2u > SMP_BUF_SIZE) {
            l->broken = 1;       /* no room for such a packet: drop it all */
            l->dropped++;
            l->want = 0;
            return SMP_LINK_NONE;
        }
        l->want = length + 2u;
    }
    if (l->have < l->want) {
        return SMP_LINK_NONE;
    }
    if (l->have > l->want) {
        drop(l);                 /* more than the length said */
        return SMP_LINK_NONE;
    }
    /* Running the CRC over message and CRC leaves 0 when they match. */
    if (crc16_xmodem(0, l->buf + 2, l->want - 2u) != 0) {
        drop(l);
        return SMP_LINK_NONE;
    }
    l->delivered = 1;
    return SMP_LINK_PACKET;
}

enum smp_link_event smp_link_feed(struct smp_link *l, uint8_t byte)
{
    l->text_len = 0;
    if (l->in_line) {
        if (byte == '\n') {
            l->in_line = 0;
            l->at_line_start = 1;
            return line_done(l);
        }
        if (byte == '\r') {
            return SMP_LINK_NONE;
        }
        if (l->line_len >= SMP_LINE_MAX) {
            l->broken = 1;       /* an overlong line: drop the packet, keep reading to '\n' */
            return SMP_LINK_NONE;
        }
        l->line[l->line_len++] = byte;
        return SMP_LINK_NONE;
    }
    if (l->held) {
        uint8_t first = l->held;
        l->held = 0;
        if ((first == START0 && byte == START1) || (first == CONT0 && byte == CONT1)) {
            l->in_line = 1;
            l->line_is_start = first == START0;
            l->line_len = 0;
            return SMP_LINK_NONE;
        }
        l->text[0] = first;
        l->text[1] = byte;
        l->text_len = 2;
        l->at_line_start = byte == '\n' || byte == '\r';
        return SMP_LINK_TEXT;
    }
    if (l->at_line_start && (byte == START0 || byte == CONT0)) {
        l->held = byte;
        return SMP_LINK_NONE;
    }
    l->text[0] = byte;
    l->text_len = 1;
    l->at_line_start = byte == '\n' || byte == '\r';
    return SMP_LINK_TEXT;
}

const uint8_t *smp_link_message(const struct smp_link *l, uint32_t *len)
{
    *len = l->want - 4u;
    return l->buf + 2;
}

int smp_hdr_parse(const uint8_t *msg, uint32_t len, struct smp_hdr *h)
{
    if (len < SMP_HDR_SIZE) {
        return -1;
    }
    h->op = msg[0] & 0x07u;
    h->version = (uint8_t)((msg[0] >> 3) & 0x03u);
    h->flags = msg[1];
    h->len = (uint16_t)(msg[2] << 8 | msg[3]);
    h->group = (uint16_t)(msg[4] << 8 | msg[5]);
    h->seq = msg[6];
    h->id = msg[7];
    return h->len == len - SMP_HDR_SIZE ? 0 : -1;
}

void smp_hdr_write(uint8_t out[SMP_HDR_SIZE], const struct smp_hdr *h)
{
    out[0] = (uint8_t)((h->version & 0x03u) << 3 | (h->op & 0x07u));
    out[1] = h->flags;
    out[2] = (uint8_t)(h->len >> 8);
    out[3] = (uint8_t)h->len;
    out[4] = (uint8_t)(h->group >> 8);
    out[5] = (uint8_t)h->group;
    out[6] = h->seq;
    out[7] = h->id;
}

/* Lines of at most 127 bytes: marker, 124 base64 characters (93 bytes), '\n'. */
#define LINE_RAW 93u

void smp_send(const uint8_t *msg, uint32_t len, smp_put_fn put, void *ctx)
{
    /* The packet is encoded as one base64 stream; splitting it at multiples
     * of 4 characters (3 bytes) keeps every line decodable on its own. */
    uint8_t head[2] = {(uint8_t)((len + 2u) >> 8), (uint8_t)(len + 2u)};
    uint16_t crc = crc16_xmodem(0, msg, len);
    uint8_t tail[2] = {(uint8_t)(crc >> 8), (uint8_t)crc};
    uint32_t total = len + 4u;
    uint8_t chunk[LINE_RAW];
    char line[2 + B64_ENCODED_LEN(LINE_RAW) + 1];
    for (uint32_t off = 0; off < total; off += LINE_RAW) {
        uint32_t n = total - off < LINE_RAW ? total - off : LINE_RAW;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t k = off + i;
            chunk[i] = k < 2u ? head[k] : k < len + 2u ? msg[k - 2u] : tail[k - len - 2u];
        }
        line[0] = (char)(off == 0 ? START0 : CONT0);
        line[1] = (char)(off == 0 ? START1 : CONT1);
        size_t e = b64_encode(chunk, n, line + 2);
        line[2 + e] = '\n';
        put(ctx, (const uint8_t *)line, (uint32_t)(3u + e));
    }
}

uint32_t smp_dispatch(const struct smp_command *table, uint32_t count, void *ctx,
                      const uint8_t *msg, uint32_t len, uint8_t *rsp, uint32_t cap)
{
    struct smp_hdr h;
    if (cap < SMP_HDR_SIZE + 16u || smp_hdr_parse(msg, len, &h) != 0 ||
        (h.op != SMP_OP_READ && h.op != SMP_OP_WRITE)) {
        return 0;
    }
    struct cbor_writer w;
    cbor_writer_init(&w, rsp + SMP_HDR_SIZE, cap - SMP_HDR_SIZE);
    const char *reason = 0;
    int rc = SMP_ENOTSUP;
    for (uint32_t i = 0; i < count; i++) {
        if (table[i].group == h.group && table[i].id == h.id && table[i].op == h.op) {
            rc = table[i].fn(ctx, msg + SMP_HDR_SIZE, len - SMP_HDR_SIZE, &w, &reason);
            break;
        }
    }
    if (rc == 0 && w.overflow) {
        rc = SMP_EMSGSIZE;
    }
    if (rc != 0) {
        cbor_writer_init(&w, rsp + SMP_HDR_SIZE, cap - SMP_HDR_SIZE);
        cbor_put_map(&w, reason ? 2u : 1u);
        cbor_put_tstr(&w, "rc");
        cbor_put_uint(&w, (uint32_t)rc);
        if (reason) {
            cbor_put_tstr(&w, "rsn");
            cbor_put_tstr(&w, reason);
        }
    }
    h.op = (uint8_t)(h.op + 1u);
    h.len = (uint16_t)w.len;
    smp_hdr_write(rsp, &h);
    return SMP_HDR_SIZE + (uint32_t)w.len;
}
