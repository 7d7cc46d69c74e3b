#include "bootflow.h"

static int is_bad_reason(int reason)
{
    return reason == RS_TRIES_EXHAUSTED || reason == RS_INVALID || reason == RS_MARK_BAD;
}

static void fill_slot(struct slot_rec *s, uint8_t state, const struct img_info *info)
{
    s->state = state;
    s->tries = TRIES_DEFAULT;
    s->sec_cnt = info->sec_cnt;
    s->version = info->version;
    s->digest = digest_prefix(info->sha256);
}

static void recovery(struct journal *j, struct boot_result *out)
{
    out->slot = -1;
    out->state = 0;
    out->tries = 0;
    out->floor = j->have_latest ? j->latest.floor : 0;
    out->seq = j->have_latest ? j->latest.seq : 0;
    out->rollback = "NO_VALID_IMAGE";
}

static void factory_boot(struct journal *j, const struct flash_ops *f, struct boot_result *out)
{
    for (int s = 0; s < NUM_SLOTS; s++) {
        if (image_validate(f, slot_base(s), SLOT_SIZE, 0, 0, &out->info) != IMG_OK) {
            continue;
        }
        struct jrec r;
        journal_template(j, &r);
        r.preferred = (uint8_t)s;
        r.reason = RS_NONE;
        r.floor = out->info.sec_cnt;
        fill_slot(&r.slot[s], ST_CONFIRMED, &out->info);
        /* A failed write leaves the factory state; the image is still the
         * one to run, and the next boot tries the record again. */
        journal_append(j, &r);
        out->slot = s;
        out->state = ST_CONFIRMED;
        out->tries = TRIES_DEFAULT;
        out->floor = out->info.sec_cnt;
        out->seq = j->have_latest ? j->latest.seq : 0;
        out->rollback = "NONE";
        return;
    }
    recovery(j, out);
}

void boot_decide(struct journal *j, const struct flash_ops *f, struct boot_result *out)
{
    out->refused_slot = -1;
    out->refused = IMG_OK;
    out->refused_why = 0;
    journal_load(j, f);
    if (!j->have_latest) {
        factory_boot(j, f, out);
        return;
    }
    int marked_bad = RS_NONE;
    int first = j->latest.preferred;
    for (int k = 0; k < NUM_SLOTS; k++) {
        int s = k == 0 ? first : 1 - first;
        struct jrec r = j->latest;
        struct slot_rec *sr = &r.slot[s];

        if (sr->state == ST_EMPTY || sr->state == ST_BAD) {
            continue;
        }
        if (sr->state == ST_PENDING && sr->tries == 0) {
            sr->state = ST_BAD;
            r.preferred = (uint8_t)(1 - s);
            r.reason = RS_TRIES_EXHAUSTED;
            journal_append(j, &r);
            marked_bad = RS_TRIES_EXHAUSTED;
            continue;
        }
        uint32_t expected = sr->digest;
        enum img_result vr = image_validate(f, slot_base(s), SLOT_SIZE, r.floor, &expected, &out->info);
        if (vr != IMG_OK) {
            out->refused_slot = s;
            out->refused = vr;
            out->refused_why = img_detail(vr, &out->info);
            sr->state = ST_BAD;
            r.reason = RS_INVALID;
            journal_append(j, &r);
            marked_bad = RS_INVALID;
            continue;
        }
#ifdef BUG_B2
        /* B2: no try counter: a PENDING image is started without spending a try */
        if (sr->state == ST_PENDING) {
        } else
#endif
#line 93
        if (sr->state == ST_PENDING) {
            /* Write-ahead: the try is spent before the jump. If it cannot be
             * recorded, the trial image must not run. */
            sr->tries--;
            r.reason = RS_NONE;
            if (journal_append(j, &r) != 0) {
                continue;
            }
        } else if (out->info.sec_cnt > r.floor) {
            /* Only a CONFIRMED image raises the floor. */
            r.floor = out->info.sec_cnt;
            r.reason = RS_NONE;
            journal_append(j, &r);
        }
        out->slot = s;
        out->state = j->latest.slot[s].state;
        out->tries = j->latest.slot[s].tries;
        out->floor = j->latest.floor;
        out->seq = j->latest.seq;
        if (marked_bad != RS_NONE) {
            out->rollback = reason_name(marked_bad);
        } else {
            out->rollback = is_bad_reason(j->latest.reason) ? reason_name(j->latest.reason) : "NONE";
        }
        return;
    }
    recovery(j, out);
}

#ifdef BUG_B13
/* B13: the confirm record bs_confirm queued, written by bs_confirm_commit() */
static struct jrec b13_record;
static struct journal *b13_journal;
#endif
#line 122
int bs_confirm(struct journal *j, const struct flash_ops *f, int running, uint32_t sec_cnt,
               uint32_t *seq)
{
    journal_load(j, f);
    if (!j->have_latest) {
        return -2;
    }
    struct jrec r = j->latest;
    if (r.slot[running].state == ST_CONFIRMED) {
        *seq = r.seq;
        return 0;
    }
    if (r.slot[running].state != ST_PENDING) {
        return -2;
    }
    r.slot[running].state = ST_CONFIRMED;
    r.slot[running].tries = TRIES_DEFAULT;
    if (sec_cnt > r.floor) {
        r.floor = sec_cnt;
    }
    r.preferred = (uint8_t)running;
    r.reason = RS_CONFIRM;
#ifdef BUG_B13
    /* B13: confirm is reported done before its record is written: the app
     * replies OK first and writes the record afterwards (bs_confirm_commit) */
    b13_record = r;
    b13_journal = j;
    *seq = r.seq + 1;
    return 0;
#endif
#line 144
    /* journal_append reads the record back before reporting success. */
    if (journal_append(j, &r) != 0) {
        return -1;
    }
    *seq = r.seq;
    return 0;
}

int bs_mark_bad(struct journal *j, const struct flash_ops *f, int running)
{
    journal_load(j, f);
    struct jrec r;
    journal_template(j, &r);
    r.slot[running].state = ST_BAD;
    r.preferred = (uint8_t)(1 - running);
    r.reason = RS_MARK_BAD;
    return journal_append(j, &r) == 0 ? 0 : -1;
}

const char *reset_cause_name(int cause)
{
    switch (cause) {
    case RC_REBOOT: return "REBOOT";
    case RC_WATCHDOG: return "WATCHDOG";
    case RC_HARDFAULT: return "HARDFAULT";
    case RC_MARK_BAD: return "MARK_BAD";
    default: return "POWER_ON";
    }
}

#ifdef BUG_B13
int bs_confirm_commit(void)
{
    struct journal *j = b13_journal;
    b13_journal = 0;
    return j ? journal_append(j, &b13_record) : 0;
}
#endif
