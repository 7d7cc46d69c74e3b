#include "ota.h"
#include "cobs.h"
#include "crc32.h"
#include "strfmt.h"

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void ota_init(struct ota *o, const struct flash_ops *f, struct journal *j,
              int running, int target, ota_reply_fn reply, void *ctx)
{
    o->f = f;
    o->j = j;
    o->running = running;
    o->target = target;
    o->reply = reply;
    o->reply_ctx = ctx;
    o->have_acked = 0;
    o->last_seq = 0;
    o->active = 0;
    o->size = 0;
    o->next = 0;
    o->finished = 0;
    o->activated = 0;
}

static void nack(struct ota *o, uint16_t seq, const char *code, const char *detail)
{
    char line[96];
    struct strfmt sf;
    sf_init(&sf, line, sizeof line);
    sf_str(&sf, "OTA NACK ");
    sf_u32(&sf, seq);
    sf_char(&sf, ' ');
    sf_str(&sf, code);
    sf_char(&sf, ' ');
    sf_str(&sf, detail);
    o->reply(o->reply_ctx, line);
}

/* Starts an ACK line; the caller appends " key=value" pairs and sends it. */
static void ack_start(struct ota *o, struct strfmt *sf, char *line, uint32_t cap, uint16_t seq)
{
    sf_init(sf, line, cap);
    sf_str(sf, "OTA ACK ");
    sf_u32(sf, seq);
    o->have_acked = 1;
    o->last_seq = seq;
}

static void kv_u32(struct strfmt *sf, const char *key, uint32_t v)
{
    sf_char(sf, ' ');
    sf_str(sf, key);
    sf_char(sf, '=');
    sf_u32(sf, v);
}

void ota_frame_error(struct ota *o, const char *detail)
{
    nack(o, 0, "E_FRAME", detail);
}

static int sector_erased(const struct ota *o, uint32_t idx)
{
    return o->erased[idx / 8] & (1u << (idx % 8));
}

static const char *img_code(enum img_result r)
{
    return r == IMG_OK ? "OK" : img_result_name(r);
}

static struct ota_status ok(void)
{
    struct ota_status st = {0, 0};
    return st;
}

static struct ota_status fail(const char *code, const char *detail)
{
    struct ota_status st = {code, detail};
    return st;
}

struct ota_status ota_begin(struct ota *o, uint32_t size, const uint8_t *digest)
{
    if (size == 0 || size > SLOT_SIZE) {
        return fail("E_SIZE", "image-larger-than-slot");
    }
    journal_load(o->j, o->f);
    if (o->running >= 0 &&
        (!o->j->have_latest || o->j->latest.slot[o->running].state != ST_CONFIRMED)) {
        /* The inactive slot is the fallback of an unconfirmed trial. */
        return fail("E_STATE", "running-slot-not-confirmed");
    }
    int same = o->active && o->size == size;
    for (int i = 0; same && i < SHA256_DIGEST_SIZE; i++) {
        same = o->digest[i] == digest[i];
    }
    if (!same) {
        /* Invalidate before any erase: the slot is EMPTY in the journal
         * before a single byte of it changes. */
        struct jrec r;
        journal_template(o->j, &r);
        r.slot[o->target].state = ST_EMPTY;
        r.slot[o->target].tries = 0;
        r.slot[o->target].sec_cnt = 0;
        r.slot[o->target].version = 0;
        r.slot[o->target].digest = 0;
        if (o->running >= 0) {
            r.preferred = (uint8_t)o->running;
        }
        r.reason = RS_UPDATE;
#ifdef BUG_B1
        /* B1: the target is marked PENDING (and preferred) at BEGIN, before its data is written */
        r.slot[o->target].state = ST_PENDING;
        r.slot[o->target].tries = TRIES_DEFAULT;
        r.slot[o->target].digest = digest_prefix(digest);
        r.preferred = (uint8_t)o->target;
#endif
        if (journal_append(o->j, &r) != 0) {
            o->active = 0;
            return fail("E_FLASH", "journal-write");
        }
        o->active = 1;
        o->size = size;
        for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
            o->digest[i] = digest[i];
        }
        o->next = 0;
        for (unsigned i = 0; i < sizeof o->erased; i++) {
            o->erased[i] = 0;
        }
    }
    o->finished = 0;
    o->activated = 0;
    return ok();
}

static void do_begin(struct ota *o, uint16_t seq, const uint8_t *p, uint16_t len)
{
    char line[96];
    struct strfmt sf;

    if (len != 4 + SHA256_DIGEST_SIZE) {
        nack(o, seq, "E_SIZE", "begin-payload");
        return;
    }
    struct ota_status st = ota_begin(o, get32(p), p + 4);
    if (st.code) {
        nack(o, seq, st.code, st.detail);
        return;
    }
    ack_start(o, &sf, line, sizeof line, seq);
    sf_str(&sf, " slot=");
    sf_char(&sf, slot_letter(o->target));
    kv_u32(&sf, "size", o->size);
    kv_u32(&sf, "next", o->next);
    o->reply(o->reply_ctx, line);
}

/* Compares flash at addr with data; 1 when equal. */
static int flash_equals(const struct flash_ops *f, uint32_t addr, const uint8_t *data, uint32_t len)
{
    uint8_t tmp[64];
    while (len) {
        uint32_t n = len < sizeof tmp ? len : sizeof tmp;
        if (flash_read(f, addr, tmp, n)) {
            return 0;
        }
        for (uint32_t i = 0; i < n; i++) {
            if (tmp[i] != data[i]) {
                return 0;
            }
        }
        addr += n;
        data += n;
        len -= n;
    }
    return 1;
}

struct ota_status ota_data(struct ota *o, uint32_t off, uint8_t *p, uint32_t len)
{
    struct strfmt sf;
    uint32_t base = slot_base(o->target);

    if (!o->active || o->finished) {
        return fail("E_STATE", o->active ? "already-finished" : "no-begin");
    }
    if (len == 0 || off > o->size || len > o->size - off) {
        return fail("E_RANGE", "outside-image");
    }
    if (off % FLASH_UNIT || (len % FLASH_UNIT && off + len != o->size)) {
        return fail("E_ALIGN", "offset-or-length-not-multiple-of-8");
    }
    if (off > o->next) {
        sf_init(&sf, o->detail, sizeof o->detail);
        sf_str(&sf, "expected-offset=");
        sf_u32(&sf, o->next);
        return fail("E_RANGE", o->detail);
    }
    uint32_t end = off + len;
    uint32_t done = end <= o->next ? len : o->next - off;   /* already written part */
    if (done && !flash_equals(o->f, base + off, p, done)) {
        return fail("E_RANGE", "differs-from-written-data");
    }
    if (end > o->next) {
        /* Pad the final chunk with the erased value to a whole unit. */
        uint32_t wlen = len - done;
        while (wlen % FLASH_UNIT) {
            p[done + wlen++] = FLASH_ERASED_BYTE;
        }
        uint32_t first = o->next / FLASH_SECTOR_SIZE;
        uint32_t last = (o->next + wlen - 1) / FLASH_SECTOR_SIZE;
        for (uint32_t s = first; s <= last; s++) {
            if (!sector_erased(o, s)) {
                if (flash_erase(o->f, base + s * FLASH_SECTOR_SIZE)) {
                    return fail("E_FLASH", "erase");
                }
                o->erased[s / 8] |= (uint8_t)(1u << (s % 8));
            }
        }
        if (flash_write(o->f, base + o->next, p + done, wlen) ||
            !flash_equals(o->f, base + o->next, p + done, wlen)) {
            return fail("E_FLASH", "program");
        }
        o->next = end;
    }
    return ok();
}

static void do_data(struct ota *o, uint16_t seq, uint32_t off, uint8_t *p, uint16_t len)
{
    char line[96];
    struct strfmt sf;
    struct ota_status st = ota_data(o, off, p, len);
    if (st.code) {
        nack(o, seq, st.code, st.detail);
        return;
    }
    ack_start(o, &sf, line, sizeof line, seq);
    kv_u32(&sf, "next", o->next);
    o->reply(o->reply_ctx, line);
}

static void do_query(struct ota *o, uint16_t seq)
{
    char line[96];
    struct strfmt sf;
    uint32_t resume = o->active ? o->next - o->next % FLASH_SECTOR_SIZE : 0;
    uint32_t crc = 0;
    uint8_t tmp[256];
    uint32_t base = slot_base(o->target);
    for (uint32_t off = 0; off < resume; off += sizeof tmp) {
        if (flash_read(o->f, base + off, tmp, sizeof tmp)) {
            nack(o, seq, "E_FLASH", "read");
            return;
        }
        crc = crc32_update(crc, tmp, sizeof tmp);
        if ((off & 0x3FFFu) == 0) {
            flash_feed(o->f);
        }
    }
    ack_start(o, &sf, line, sizeof line, seq);
    kv_u32(&sf, "resume", resume);
    sf_str(&sf, " crc=");
    sf_hex32(&sf, crc);
    kv_u32(&sf, "size", o->active ? o->size : 0);
    o->reply(o->reply_ctx, line);
}

struct ota_status ota_finish(struct ota *o)
{
    uint32_t base = slot_base(o->target);

    if (!o->active || o->next != o->size) {
        return fail("E_STATE", o->active ? "image-incomplete" : "no-begin");
    }
    /* First: is this the file announced in BEGIN? */
    struct sha256 s;
    uint8_t tmp[256];
    uint8_t calc[SHA256_DIGEST_SIZE];
    sha256_init(&s);
    for (uint32_t off = 0; off < o->size; ) {
        uint32_t n = o->size - off < sizeof tmp ? o->size - off : sizeof tmp;
        if (flash_read(o->f, base + off, tmp, n)) {
            return fail("E_FLASH", "read");
        }
        sha256_update(&s, tmp, n);
        off += n;
        if ((off & 0x3FFFu) == 0) {
            flash_feed(o->f);
        }
    }
    sha256_final(&s, calc);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        if (calc[i] != o->digest[i]) {
            return fail("E_HASH", "file-digest-differs-from-begin");
        }
    }
    /* Then the same validation the bootloader runs before every jump. */
    journal_load(o->j, o->f);
    uint32_t floor = o->j->have_latest ? o->j->latest.floor : 0;
    enum img_result r = image_validate(o->f, base, o->size, floor, 0, &o->fin);
    if (r != IMG_OK) {
        const char *detail = "invalid-image";
        switch (r) {
        case IMG_E_ROLLBACK: detail = "sec-cnt-below-floor"; break;
        case IMG_E_LOADADDR: detail = "not-built-for-this-slot"; break;
        case IMG_E_HASH: detail = "image-hash-mismatch"; break;
        case IMG_E_MAGIC: detail = "bad-header-magic"; break;
        case IMG_E_TLV: detail = "bad-tlv-area"; break;
        case IMG_E_SIZE: detail = "bad-size"; break;
        default: break;
        }
        return fail(img_code(r), detail);
    }
    o->finished = 1;
    return ok();
}

static void do_finish(struct ota *o, uint16_t seq)
{
    char line[96];
    struct strfmt sf;
    struct ota_status st = ota_finish(o);
    if (st.code) {
        nack(o, seq, st.code, st.detail);
        return;
    }
    ack_start(o, &sf, line, sizeof line, seq);
    sf_str(&sf, " slot=");
    sf_char(&sf, slot_letter(o->target));
    sf_str(&sf, " version=");
    sf_version(&sf, o->fin.version);
    kv_u32(&sf, "sec", o->fin.sec_cnt);
    sf_str(&sf, " digest=");
    sf_hex32(&sf, digest_prefix(o->fin.sha256));
    o->reply(o->reply_ctx, line);
}

static void activate_ack(struct ota *o, uint16_t seq)
{
    char line[96];
    struct strfmt sf;
    ack_start(o, &sf, line, sizeof line, seq);
    sf_str(&sf, " slot=");
    sf_char(&sf, slot_letter(o->target));
    sf_str(&sf, " state=");
    sf_str(&sf, state_name(o->activate_mode ? ST_CONFIRMED : ST_PENDING));
    kv_u32(&sf, "jseq", o->j->latest.seq);
    o->reply(o->reply_ctx, line);
}

static void do_activate(struct ota *o, uint16_t seq, const uint8_t *p, uint16_t len)
{
    if (len != 1) {
        nack(o, seq, "E_SIZE", "activate-payload");
        return;
    }
    if (p[0] > 1) {
        nack(o, seq, "E_RANGE", "mode-must-be-0-or-1");
        return;
    }
    if (o->activated && seq == o->activate_seq && p[0] == o->activate_mode) {
        activate_ack(o, seq);   /* identical resend: already committed */
        return;
    }
    struct ota_status st = ota_activate(o, p[0]);
    if (st.code) {
        nack(o, seq, st.code, st.detail);
        return;
    }
    o->activate_seq = seq;
    activate_ack(o, seq);
}

struct ota_status ota_activate(struct ota *o, uint8_t mode)
{
    if (!o->finished) {
        return fail("E_STATE", "finish-first");
    }
    journal_load(o->j, o->f);
    struct jrec r;
    journal_template(o->j, &r);
    struct slot_rec *sr = &r.slot[o->target];
    sr->state = mode ? ST_CONFIRMED : ST_PENDING;
    sr->tries = TRIES_DEFAULT;
    sr->sec_cnt = o->fin.sec_cnt;
    sr->version = o->fin.version;
    sr->digest = digest_prefix(o->fin.sha256);
    r.preferred = (uint8_t)o->target;
    r.reason = RS_UPDATE;
    /* The floor is not raised here: only a confirmed image raises it. */
#ifdef BUG_B8
    /* B8: the floor is raised at ACTIVATE, before the new image is confirmed */
    if (o->fin.sec_cnt > r.floor) {
        r.floor = o->fin.sec_cnt;
    }
#endif
    if (journal_append(o->j, &r) != 0) {
        return fail("E_FLASH", "journal-write");
    }
    o->active = 0;
    o->finished = 0;
    o->activated = 1;
    o->activate_mode = mode;
    return ok();
}

void ota_frame(struct ota *o, const uint8_t *enc, uint32_t len)
{
    int n = cobs_decode(enc, len, o->buf, sizeof o->buf);
    if (n < 0) {
        nack(o, 0, "E_FRAME", "bad-cobs");
        return;
    }
    if ((uint32_t)n < OTA_FRAME_OVERHEAD) {
        nack(o, 0, "E_FRAME", "too-short");
        return;
    }
    uint8_t type = o->buf[0];
    uint16_t seq = get16(o->buf + 1);
    uint32_t off = get32(o->buf + 3);
    uint16_t plen = get16(o->buf + 7);
    if (plen > OTA_MAX_PAYLOAD || (uint32_t)n != OTA_FRAME_OVERHEAD + plen) {
        nack(o, 0, "E_FRAME", "length-mismatch");
        return;
    }
    uint8_t *payload = o->buf + 9;
    if (get32(payload + plen) != crc32_update(0, o->buf, 9u + plen)) {
        nack(o, seq, "E_CRC", "frame-crc");
        return;
    }
    if (type != OTA_BEGIN && o->have_acked && seq != o->last_seq &&
        seq != (uint16_t)(o->last_seq + 1)) {
        char d[32];
        struct strfmt sf;
        sf_init(&sf, d, sizeof d);
        sf_str(&sf, "expected=");
        sf_u32(&sf, (uint16_t)(o->last_seq + 1));
        nack(o, seq, "E_SEQ", d);
        return;
    }
    switch (type) {
    case OTA_BEGIN: do_begin(o, seq, payload, plen); break;
    case OTA_DATA: do_data(o, seq, off, payload, plen); break;
    case OTA_QUERY: do_query(o, seq); break;
    case OTA_FINISH: do_finish(o, seq); break;
    case OTA_ACTIVATE: do_activate(o, seq, payload, plen); break;
    default: nack(o, 0, "E_FRAME", "unknown-type"); break;
    }
}
