#include "smp_img.h"
#include "cbor.h"
#include "layout.h"
#include "strfmt.h"

void smp_img_init(struct smp_img *m, struct ota *o, struct journal *j, const struct flash_ops *f, int running,
                  int (*confirm)(void *app, const char **reason), void *app)
{
    m->ota = o;
    m->j = j;
    m->f = f;
    m->running = running;
    m->confirm = confirm;
    m->app = app;
    m->accepted = 0;
    m->carry_len = 0;
    m->refused.code = 0;
    m->refused.detail = 0;
}

/* "<code> <detail>" of an engine refusal: SMP's rsn. */
static int refuse(struct smp_img *m, struct ota_status st, const char **reason)
{
    struct strfmt sf;
    sf_init(&sf, m->reason, sizeof m->reason);
    sf_str(&sf, st.code);
    if (st.detail) {
        sf_char(&sf, ' ');
        sf_str(&sf, st.detail);
    }
    *reason = m->reason;
    return str_eq(st.code, "E_STATE") ? SMP_EBADSTATE : SMP_EINVAL;
}

struct upload_req {
    uint32_t off, len, image;
    const uint8_t *data, *sha;
    uint32_t data_len, sha_len;
    uint8_t have_off, have_len, have_data, have_sha, bad;
};

static int upload_entry(void *ctx, const uint8_t *key, size_t key_len, const struct cbor_value *v)
{
    struct upload_req *r = ctx;
    if (cbor_key_is(key, key_len, "off")) {
        r->bad |= v->type != CBOR_UINT;
        r->off = v->u;
        r->have_off = 1;
    } else if (cbor_key_is(key, key_len, "len")) {
        r->bad |= v->type != CBOR_UINT;
        r->len = v->u;
        r->have_len = 1;
    } else if (cbor_key_is(key, key_len, "image")) {
        r->bad |= v->type != CBOR_UINT;
        r->image = v->u;
    } else if (cbor_key_is(key, key_len, "data")) {
        r->bad |= v->type != CBOR_BSTR;
        r->data = v->p;
        r->data_len = (uint32_t)v->n;
        r->have_data = 1;
    } else if (cbor_key_is(key, key_len, "sha")) {
        r->bad |= v->type != CBOR_BSTR;
        r->sha = v->p;
        r->sha_len = (uint32_t)v->n;
        r->have_sha = 1;
    }
    return 0;   /* "upgrade" and keys of newer clients are ignored */
}

static void answer_off(struct cbor_writer *w, uint32_t off, int match)
{
    cbor_put_map(w, match ? 2u : 1u);
    cbor_put_tstr(w, "off");
    cbor_put_uint(w, off);
    if (match) {
        cbor_put_tstr(w, "match");
        cbor_put_bool(w, 1);
    }
}

int smp_img_upload(void *ctx, const uint8_t *body, uint32_t n, struct cbor_writer *w, const char **reason)
{
    struct smp_img *m = ctx;
    struct ota *o = m->ota;
    struct upload_req r = {0};
    if (cbor_read_map(body, n, upload_entry, &r) != 0 || r.bad || !r.have_off || !r.have_data) {
        *reason = "malformed upload request";
        return SMP_EINVAL;
    }
    if (r.image != 0) {
        *reason = "only image 0";
        return SMP_EINVAL;
    }
    if (r.off == 0 && r.have_len) {
        if (!r.have_sha || r.sha_len != SHA256_DIGEST_SIZE) {
            *reason = "the first chunk needs the image's sha (SHA-256)";
            return SMP_EINVAL;
        }
        int resuming = o->active && o->size == r.len && m->accepted > 0;
        for (uint32_t i = 0; resuming && i < SHA256_DIGEST_SIZE; i++) {
            resuming = o->digest[i] == r.sha[i];
        }
        struct ota_status st = ota_begin(o, r.len, r.sha);
        if (st.code) {
            return refuse(m, st, reason);
        }
        if (resuming) {
            answer_off(w, m->accepted, 0);   /* the client continues from there */
            return 0;
        }
        m->accepted = o->next;   /* a new upload: 0 */
        m->carry_len = 0;
    }
    if (!o->active) {
        *reason = "E_STATE no-upload-started";
        return SMP_EBADSTATE;
    }
    if (r.off != m->accepted || r.data_len == 0) {
        answer_off(w, m->accepted, 0);       /* not the next bytes: say which are */
        return 0;
    }
    if (r.data_len > o->size - m->accepted) {
        *reason = "E_RANGE outside-image";
        return SMP_EINVAL;
    }
    /* Whole 8-byte units go to flash now; the rest waits for the next chunk. */
    uint32_t have = m->carry_len + r.data_len;
    for (uint32_t i = 0; i < m->carry_len; i++) {
        m->stage[i] = m->carry[i];
    }
    for (uint32_t i = 0; i < r.data_len; i++) {
        m->stage[m->carry_len + i] = r.data[i];
    }
    uint32_t start = m->accepted - m->carry_len;
    int last = start + have == o->size;
    uint32_t now = last ? have : have - have % FLASH_UNIT;
    if (now) {
        struct ota_status st = ota_data(o, start, m->stage, now);
        if (st.code) {
            return refuse(m, st, reason);
        }
    }
    m->carry_len = have - now;
    for (uint32_t i = 0; i < m->carry_len; i++) {
        m->carry[i] = m->stage[now + i];
    }
    m->accepted += r.data_len;
    if (!last) {
        answer_off(w, m->accepted, 0);
        return 0;
    }
    struct ota_status st = ota_finish(o);
    if (st.code) {
        m->refused = st;
        return refuse(m, st, reason);
    }
    answer_off(w, m->accepted, 1);
    return 0;
}

/* -- state ------------------------------------------------------------------------- */

static void put_version(struct cbor_writer *w, uint32_t v)
{
    char buf[16];
    struct strfmt sf;
    sf_init(&sf, buf, sizeof buf);
    sf_version(&sf, v);
    cbor_put_tstr(w, buf);
}

static void put_states(struct smp_img *m, struct cbor_writer *w)
{
    struct img_info info[NUM_SLOTS];
    int valid[NUM_SLOTS];
    uint32_t count = 0;
    journal_load(m->j, m->f);
    for (int s = 0; s < NUM_SLOTS; s++) {
        valid[s] = image_validate(m->f, slot_base(s), SLOT_SIZE, 0, 0, &info[s]) == IMG_OK;
        count += (uint32_t)valid[s];
    }
    cbor_put_map(w, 1);
    cbor_put_tstr(w, "images");
    cbor_put_array(w, count);
    for (int s = 0; s < NUM_SLOTS; s++) {
        if (!valid[s]) {
            continue;
        }
        int state = m->j->have_latest ? m->j->latest.slot[s].state : ST_EMPTY;
        int active = s == m->running;
        int confirmed = state == ST_CONFIRMED || (!m->j->have_latest && active);
        int pending = state == ST_PENDING && !active;
        cbor_put_map(w, 3u + (uint32_t)active + (uint32_t)confirmed + (uint32_t)pending + 1u);
        cbor_put_tstr(w, "slot");
        cbor_put_uint(w, (uint32_t)s);
        cbor_put_tstr(w, "version");
        put_version(w, info[s].version);
        cbor_put_tstr(w, "hash");
        cbor_put_bstr(w, info[s].sha256, SHA256_DIGEST_SIZE);
        cbor_put_tstr(w, "bootable");
        cbor_put_bool(w, 1);
        if (active) {
            cbor_put_tstr(w, "active");
            cbor_put_bool(w, 1);
        }
        if (confirmed) {
            cbor_put_tstr(w, "confirmed");
            cbor_put_bool(w, 1);
        }
        if (pending) {
            cbor_put_tstr(w, "pending");
            cbor_put_bool(w, 1);
        }
    }
}

int smp_img_state_read(void *ctx, const uint8_t *body, uint32_t n, struct cbor_writer *w, const char **reason)
{
    (void)body;
    (void)n;
    (void)reason;
    put_states(ctx, w);
    return 0;
}

struct state_req {
    const uint8_t *hash;
    uint32_t hash_len;
    uint32_t confirm;
    uint8_t bad;
};

static int state_entry(void *ctx, const uint8_t *key, size_t key_len, const struct cbor_value *v)
{
    struct state_req *r = ctx;
    if (cbor_key_is(key, key_len, "hash")) {
        r->bad |= v->type != CBOR_BSTR;
        r->hash = v->p;
        r->hash_len = (uint32_t)v->n;
    } else if (cbor_key_is(key, key_len, "confirm")) {
        r->bad |= v->type != CBOR_BOOL;
        r->confirm = v->u;
    }
    return 0;
}

static int same_hash(const uint8_t *a, const uint8_t *b)
{
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        if (a[i] != b[i]) {
            return 0;
        }
    }
    return 1;
}

int smp_img_state_write(void *ctx, const uint8_t *body, uint32_t n, struct cbor_writer *w, const char **reason)
{
    struct smp_img *m = ctx;
    struct state_req r = {0, 0, 0, 0};
    if (cbor_read_map(body, n, state_entry, &r) != 0 || r.bad || (r.hash && r.hash_len != SHA256_DIGEST_SIZE)) {
        *reason = "malformed state write";
        return SMP_EINVAL;
    }
    struct img_info running;
    int is_running = r.hash && m->running >= 0 &&
        image_validate(m->f, slot_base(m->running), SLOT_SIZE, 0, 0, &running) == IMG_OK &&
        same_hash(running.sha256, r.hash);
    if (!r.hash || is_running) {
        if (!r.confirm) {
            *reason = "test the new image by its hash";
            return SMP_EINVAL;
        }
        if (m->confirm == 0 || m->confirm(m->app, reason) != 0) {
            if (!*reason) {
                *reason = "confirm failed";
            }
            return SMP_EBADSTATE;
        }
    } else {
        if (!m->ota->finished || !same_hash(m->ota->fin.sha256, r.hash)) {
            *reason = "no uploaded image with that hash";
            return SMP_EINVAL;
        }
        struct ota_status st = ota_activate(m->ota, (uint8_t)(r.confirm ? 1 : 0));
        if (st.code) {
            return refuse(m, st, reason);
        }
        m->accepted = 0;
        m->carry_len = 0;
    }
    put_states(m, w);
    return 0;
}
