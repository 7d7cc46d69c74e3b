#include "ota.h"
#include "strfmt.h"

void ota_init(struct ota *o, const struct flash_ops *f, struct journal *j,
              int running, int target)
{
    o->f = f;
    o->j = j;
    o->running = running;
    o->target = target;
    o->active = 0;
    o->size = 0;
    o->next = 0;
    o->finished = 0;
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
    if (size == 0) {
        return fail("E_SIZE", "empty-image");
    }
    if (size > SLOT_SIZE) {
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
    return ok();
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
        uint32_t first = o->next / SLOT_SECTOR_SIZE;
        uint32_t last = (o->next + wlen - 1) / SLOT_SECTOR_SIZE;
        for (uint32_t s = first; s <= last; s++) {
            if (!sector_erased(o, s)) {
                if (flash_erase(o->f, base + s * SLOT_SECTOR_SIZE)) {
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
        return fail(img_code(r), img_detail(r, &o->fin));
    }
    o->finished = 1;
    return ok();
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
    return ok();
}
