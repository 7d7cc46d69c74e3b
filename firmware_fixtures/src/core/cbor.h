/* The sliver of CBOR (RFC 8949) SMP needs, written for it.
 *
 * Writing: definite-length maps and arrays, unsigned integers, text and byte
 * strings, booleans. Reading: one flat map of text keys whose values are
 * unsigned or negative integers, byte or text strings, booleans or null;
 * anything else (nested maps or arrays, indefinite lengths, tags, floats,
 * non-text keys, 8-byte lengths) is refused, never guessed at. */
#ifndef CBOR_H
#define CBOR_H

#include <stddef.h>
#include <stdint.h>

struct cbor_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int overflow;   /* set once anything did not fit; the output is then unusable */
};

void cbor_writer_init(struct cbor_writer *w, uint8_t *buf, size_t cap);
void cbor_put_map(struct cbor_writer *w, uint32_t pairs);
void cbor_put_array(struct cbor_writer *w, uint32_t items);
void cbor_put_uint(struct cbor_writer *w, uint32_t v);
void cbor_put_tstr(struct cbor_writer *w, const char *s);
void cbor_put_bstr(struct cbor_writer *w, const uint8_t *p, size_t n);
void cbor_put_bool(struct cbor_writer *w, int v);

enum cbor_type { CBOR_UINT, CBOR_NINT, CBOR_BSTR, CBOR_TSTR, CBOR_BOOL, CBOR_NULL };

struct cbor_value {
    enum cbor_type type;
    uint32_t u;            /* CBOR_UINT; CBOR_NINT stores -1 - value; CBOR_BOOL 0/1 */
    const uint8_t *p;      /* CBOR_BSTR, CBOR_TSTR: the bytes, inside the input */
    size_t n;
};

/* Called for each key of the map; return non-zero to stop with that value. */
typedef int (*cbor_entry_fn)(void *ctx, const uint8_t *key, size_t key_len, const struct cbor_value *v);

/* Reads the map in p[0..n): 0 when every entry was taken, -1 when the input
 * is not a flat map of that shape (or has bytes after it), else what the
 * callback returned. */
int cbor_read_map(const uint8_t *p, size_t n, cbor_entry_fn fn, void *ctx);

/* Key comparison helper: key equals the NUL-terminated name. */
int cbor_key_is(const uint8_t *key, size_t key_len, const char *name);

#endif
