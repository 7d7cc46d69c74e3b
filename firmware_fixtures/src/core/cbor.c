#include "cbor.h"

void cbor_writer_init(struct cbor_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = 0;
}

static void put_bytes(struct cbor_writer *w, const uint8_t *p, size_t n)
{
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        w->buf[w->len++] = p[i];
    }
}

/* The head of an item: major type and argument, in the shortest form. */
static void put_head(struct cbor_writer *w, uint8_t major, uint32_t v)
{
    uint8_t h[5];
    size_t n;
    if (v < 24u) {
        h[0] = (uint8_t)(major << 5 | v);
        n = 1;
    } else if (v <= 0xFFu) {
        h[0] = (uint8_t)(major << 5 | 24u);
        h[1] = (uint8_t)v;
        n = 2;
    } else if (v <= 0xFFFFu) {
        h[0] = (uint8_t)(major << 5 | 25u);
        h[1] = (uint8_t)(v >> 8);
        h[2] = (uint8_t)v;
        n = 3;
    } else {
        h[0] = (uint8_t)(major << 5 | 26u);
        h[1] = (uint8_t)(v >> 24);
        h[2] = (uint8_t)(v >> 16);
        h[3] = (uint8_t)(v >> 8);
        h[4] = (uint8_t)v;
        n = 5;
    }
    put_bytes(w, h, n);
}

void cbor_put_map(struct cbor_writer *w, uint32_t pairs) { put_head(w, 5, pairs); }
void cbor_put_array(struct cbor_writer *w, uint32_t items) { put_head(w, 4, items); }
void cbor_put_uint(struct cbor_writer *w, uint32_t v) { put_head(w, 0, v); }

void cbor_put_tstr(struct cbor_writer *w, const char *s)
{
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    put_head(w, 3, (uint32_t)n);
    put_bytes(w, (const uint8_t *)s, n);
}

void cbor_put_bstr(struct cbor_writer *w, const uint8_t *p, size_t n)
{
    put_head(w, 2, (uint32_t)n);
    put_bytes(w, p, n);
}

void cbor_put_bool(struct cbor_writer *w, int v)
{
    uint8_t b = v ? 0xF5 : 0xF4;
    put_bytes(w, &b, 1);
}

/* Reads a head at p[*pos]: major type and argument (at most 4 bytes long). */
static int get_head(const uint8_t *p, size_t n, size_t *pos, uint8_t *major, uint32_t *arg, uint8_t *info)
{
    if (*pos >= n) {
        return -1;
    }
    uint8_t b = p[(*pos)++];
    *major = b >> 5;
    *info = b & 0x1F;
    if (*info < 24u) {
        *arg = *info;
        return 0;
    }
    size_t len = *info == 24u ? 1 : *info == 25u ? 2 : *info == 26u ? 4 : 0;
    if (len == 0 || len > n - *pos) {
        return -1;          /* 8-byte arguments, reserved values, indefinite lengths, truncation */
    }
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        v = v << 8 | p[(*pos)++];
    }
    *arg = v;
    return 0;
}

int cbor_read_map(const uint8_t *p, size_t n, cbor_entry_fn fn, void *ctx)
{
    size_t pos = 0;
    uint8_t major, info;
    uint32_t pairs;
    if (get_head(p, n, &pos, &major, &pairs, &info) || major != 5) {
        return -1;
    }
    for (uint32_t i = 0; i < pairs; i++) {
        uint32_t klen;
        if (get_head(p, n, &pos, &major, &klen, &info) || major != 3 || klen > n - pos) {
            return -1;
        }
        const uint8_t *key = p + pos;
        pos += klen;
        struct cbor_value v = {CBOR_NULL, 0, 0, 0};
        uint32_t arg;
        if (get_head(p, n, &pos, &major, &arg, &info)) {
            return -1;
        }
        switch (major) {
        case 0: v.type = CBOR_UINT; v.u = arg; break;
        case 1: v.type = CBOR_NINT; v.u = arg; break;
        case 2:
        case 3:
            if (arg > n - pos) {
                return -1;
            }
            v.type = major == 2 ? CBOR_BSTR : CBOR_TSTR;
            v.p = p + pos;
            v.n = arg;
            pos += arg;
            break;
        case 7:
            if (info == 20u || info == 21u) {
                v.type = CBOR_BOOL;
                v.u = info == 21u;
            } else if (info == 22u) {
                v.type = CBOR_NULL;
            } else {
                return -1;      /* floats, undefined, simple values */
            }
            break;
        default:
            return -1;          /* a nested map or array, or a tag */
        }
        int rc = fn(ctx, key, klen, &v);
        if (rc) {
            return rc;
        }
    }
    return pos == n ? 0 : -1;
}

int cbor_key_is(const uint8_t *key, size_t key_len, const char *name)
{
    size_t i = 0;
    for (; i < key_len; i++) {
        if (name[i] == '\0' || name[i] != (char)key[i]) {
            return 0;
        }
    }
    return name[i] == '\0';
}
