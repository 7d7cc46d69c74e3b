#include "smp_os.h"
#include "cbor.h"

struct echo_req {
    const uint8_t *d;
    size_t n;
    int have;
};

static int echo_entry(void *ctx, const uint8_t *key, size_t key_len, const struct cbor_value *v)
{
    struct echo_req *r = ctx;
    if (cbor_key_is(key, key_len, "d")) {
        if (v->type != CBOR_TSTR) {
            return SMP_EINVAL;
        }
        r->d = v->p;
        r->n = v->n;
        r->have = 1;
    }
    return 0;   /* other keys are ignored, as MCUmgr servers do */
}

int smp_os_echo(void *ctx, const uint8_t *body, uint32_t n, struct cbor_writer *w, const char **reason)
{
    (void)ctx;
    struct echo_req r = {0, 0, 0};
    int rc = cbor_read_map(body, n, echo_entry, &r);
    if (rc < 0 || !r.have) {
        *reason = rc < 0 ? "malformed CBOR" : "no \"d\"";
        return SMP_EINVAL;
    }
    if (rc > 0) {
        return rc;
    }
    cbor_put_map(w, 1);
    cbor_put_tstr(w, "r");
    /* A text string of the same bytes: put its head and bytes as a bstr would, with major type 3. */
    cbor_put_bstr(w, r.d, r.n);
    if (!w->overflow) {
        w->buf[w->len - r.n - (r.n < 24u ? 1u : r.n <= 0xFFu ? 2u : r.n <= 0xFFFFu ? 3u : 5u)] |= 0x20u;
    }
    return 0;
}

int smp_os_params(void *ctx, const uint8_t *body, uint32_t n, struct cbor_writer *w, const char **reason)
{
    (void)ctx;
    (void)body;
    (void)n;
    (void)reason;
    cbor_put_map(w, 2);
    cbor_put_tstr(w, "buf_size");
    cbor_put_uint(w, SMP_BUF_SIZE);
    cbor_put_tstr(w, "buf_count");
    cbor_put_uint(w, 1);
    return 0;
}
