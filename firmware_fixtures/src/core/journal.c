#include "journal.h"
#include "crc32.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void jrec_encode(const struct jrec *r, uint8_t out[JREC_SIZE])
{
    for (unsigned i = 0; i < JREC_SIZE; i++) {
        out[i] = 0xFF;
    }
    put32(out + 0, JREC_MAGIC);
    put32(out + 4, r->seq);
    out[8] = r->preferred;
    out[9] = r->reason;
    put32(out + 12, r->floor);
    for (int s = 0; s < NUM_SLOTS; s++) {
        uint8_t *p = out + 16 + 16 * s;
        p[0] = r->slot[s].state;
        p[1] = r->slot[s].tries;
        put32(p + 4, r->slot[s].sec_cnt);
        put32(p + 8, r->slot[s].version);
        put32(p + 12, r->slot[s].digest);
    }
    put32(out + 48, r->boot_count);
    put32(out + 60, crc32_update(0, out, 60));
}

int jrec_decode(const uint8_t in[JREC_SIZE], struct jrec *r)
{
#ifdef BUG_B5
    /* B5: no record CRC check, so a torn record is accepted */
    if (get32(in) != JREC_MAGIC) {
#else
#line 41
    if (get32(in) != JREC_MAGIC || get32(in + 60) != crc32_update(0, in, 60)) {
#endif
#line 42
        return -1;
    }
    r->seq = get32(in + 4);
    r->preferred = in[8];
    r->reason = in[9];
    r->floor = get32(in + 12);
    for (int s = 0; s < NUM_SLOTS; s++) {
        const uint8_t *p = in + 16 + 16 * s;
        r->slot[s].state = p[0];
        r->slot[s].tries = p[1];
        r->slot[s].sec_cnt = get32(p + 4);
        r->slot[s].version = get32(p + 8);
        r->slot[s].digest = get32(p + 12);
        if (r->slot[s].state > ST_BAD) {
            return -1;
        }
    }
    r->boot_count = get32(in + 48);
    /* An erased seq is never a valid record, whatever the CRC says. */
    if (r->seq == JREC_SEQ_ERASED || r->preferred >= NUM_SLOTS || r->reason > RS_CONFIRM) {
        return -1;
    }
    return 0;
}

static int all_erased(const uint8_t *p, unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        if (p[i] != FLASH_ERASED_BYTE) {
            return 0;
        }
    }
    return 1;
}

int journal_load(struct journal *j, const struct flash_ops *f)
{
    uint8_t buf[JREC_SIZE];
    struct jrec r;

    j->f = f;
    j->have_latest = 0;
    j->latest_sector = -1;
    j->latest_index = -1;
#ifdef BUG_B6
    j->top_seq = 0;
#endif
#line 86
    for (int sec = 0; sec < 2; sec++) {
        j->last_used[sec] = -1;
        for (int i = 0; i < (int)JREC_PER_SECTOR; i++) {
            /* Copy once into RAM and judge only that copy: a torn unit may
             * read differently on a second read. */
            if (flash_read(f, journal_sector_base(sec) + (uint32_t)i * JREC_SIZE, buf, JREC_SIZE)) {
                return -1;
            }
            if (all_erased(buf, JREC_SIZE)) {
                continue;
            }
            j->last_used[sec] = i;
#ifdef BUG_B6
            /* B6: the newest seq is taken from every record with the magic, valid
             * or not: a torn record whose seq is still erased counts as 0xFFFFFFFF */
            if (get32(buf) == JREC_MAGIC && get32(buf + 4) > j->top_seq) {
                j->top_seq = get32(buf + 4);
            }
#endif
#line 98
            if (jrec_decode(buf, &r) == 0 && (!j->have_latest || r.seq > j->latest.seq)) {
                j->have_latest = 1;
                j->latest = r;
                j->latest_sector = sec;
                j->latest_index = i;
            }
        }
    }
    return 0;
}

void journal_template(const struct journal *j, struct jrec *r)
{
    if (j->have_latest) {
        *r = j->latest;
        return;
    }
    r->seq = 0;
    r->preferred = SLOT_A;
    r->reason = RS_NONE;
    r->floor = 0;
    for (int s = 0; s < NUM_SLOTS; s++) {
        r->slot[s].state = ST_EMPTY;
        r->slot[s].tries = 0;
        r->slot[s].sec_cnt = 0;
        r->slot[s].version = 0;
        r->slot[s].digest = 0;
    }
    r->boot_count = 0;
}

/* Where the next record goes: sector and index; *need_erase when the
 * sector must be erased first. */
static void next_position(const struct journal *j, int *sector, int *index, int *need_erase)
{
    *need_erase = 0;
#ifdef BUG_B4
    /* B4: one metadata sector, erased and rewritten for every record */
    *sector = 0;
    *index = 0;
    *need_erase = 1;
    return;
#endif
#line 134
    if (j->have_latest) {
        int cur = j->latest_sector;
        int next = j->last_used[cur] + 1;
        if (next < (int)JREC_PER_SECTOR) {
            *sector = cur;
            *index = next;
            return;
        }
        /* Full: move to the other sector, never erasing the one that holds
         * the latest valid record. */
        *sector = 1 - cur;
        *index = 0;
        *need_erase = 1;
        return;
    }
    /* No valid record (factory state, or only torn records): use the first
     * sector with room after its last used slot, else start sector 0 over. */
    for (int sec = 0; sec < 2; sec++) {
        int next = j->last_used[sec] + 1;
        if (next < (int)JREC_PER_SECTOR) {
            *sector = sec;
            *index = next;
            return;
        }
    }
    *sector = 0;
    *index = 0;
    *need_erase = 1;
}

int journal_append(struct journal *j, struct jrec *r)
{
    uint8_t buf[JREC_SIZE];
    uint8_t back[JREC_SIZE];
    int sector, index, need_erase;
    const struct flash_ops *f = j->f;

    r->seq = j->have_latest ? j->latest.seq + 1 : 1;
#ifdef BUG_B6
    /* B6: numbered after the newest seq found: after 0xFFFFFFFF it wraps to 0 */
    r->seq = j->top_seq + 1;
#endif
#line 172
    jrec_encode(r, buf);
    next_position(j, &sector, &index, &need_erase);

    uint32_t base = journal_sector_base(sector);
    uint32_t addr = base + (uint32_t)index * JREC_SIZE;
    int rc = 0;
    if (need_erase) {
        rc = flash_erase(f, base);
        if (rc == 0) {
            j->last_used[sector] = -1;
        }
    }
    /* Units 0..6 first, in order; unit 7 holds the CRC and commits. */
    for (unsigned u = 0; rc == 0 && u < JREC_SIZE / FLASH_UNIT; u++) {
        rc = flash_write(f, addr + u * FLASH_UNIT, buf + u * FLASH_UNIT, FLASH_UNIT);
        if (u == 0) {
            /* Even a torn record now occupies this slot. */
            j->last_used[sector] = index;
        }
    }
    if (rc == 0) {
        rc = flash_read(f, addr, back, JREC_SIZE);
    }
    if (rc == 0) {
        for (unsigned i = 0; i < JREC_SIZE; i++) {
            if (back[i] != buf[i]) {
                rc = -1;
                break;
            }
        }
    }
    if (rc != 0) {
        journal_load(j, f);
        return -1;
    }
    j->have_latest = 1;
    j->latest = *r;
    j->latest_sector = sector;
    j->latest_index = index;
#ifdef BUG_B6
    j->top_seq = r->seq;
#endif
#line 211
    return 0;
}

const char *state_name(int state)
{
    switch (state) {
    case ST_EMPTY: return "EMPTY";
    case ST_PENDING: return "PENDING";
    case ST_CONFIRMED: return "CONFIRMED";
    case ST_BAD: return "BAD";
    default: return "NONE";
    }
}

const char *reason_name(int reason)
{
    switch (reason) {
    case RS_NONE: return "NONE";
    case RS_TRIES_EXHAUSTED: return "TRIES_EXHAUSTED";
    case RS_INVALID: return "INVALID";
    case RS_MARK_BAD: return "MARK_BAD";
    case RS_UPDATE: return "UPDATE";
    case RS_CONFIRM: return "CONFIRM";
    default: return "UNKNOWN";
    }
}
