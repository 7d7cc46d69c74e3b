/* Boot-state journal: append-only 64-byte records in two sectors of
 * JOURNAL_SECTOR_SIZE (4 KiB on mps2, 16 KiB on the STM32F4).
 * Hardware-free; all flash access goes through struct flash_ops. */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stdint.h>
#include "flash_ops.h"
#include "layout.h"

#define JREC_MAGIC          0x4C4E524Au   /* "JRNL" in memory order */
#define JREC_SIZE           64u
#define JREC_PER_SECTOR     (JOURNAL_SECTOR_SIZE / JREC_SIZE)
#define JREC_SEQ_ERASED     0xFFFFFFFFu
#define TRIES_DEFAULT       3

enum slot_state {
    ST_EMPTY = 0,
    ST_PENDING = 1,
    ST_CONFIRMED = 2,
    ST_BAD = 3,
};

enum jreason {
    RS_NONE = 0,
    RS_TRIES_EXHAUSTED = 1,
    RS_INVALID = 2,
    RS_MARK_BAD = 3,
    RS_UPDATE = 4,
    RS_CONFIRM = 5,
};

struct slot_rec {
    uint8_t state;
    uint8_t tries;
    uint32_t sec_cnt;
    uint32_t version;   /* major<<24 | minor<<16 | revision */
    uint32_t digest;    /* first 4 bytes of the image SHA-256, big-endian */
};

struct jrec {
    uint32_t seq;
    uint8_t preferred;
    uint8_t reason;
    uint32_t floor;
    struct slot_rec slot[NUM_SLOTS];
    uint32_t boot_count;
};

struct journal {
    const struct flash_ops *f;
    int have_latest;
    struct jrec latest;
    int latest_sector;              /* 0 or 1, -1 if none */
    int latest_index;
    int last_used[2];               /* highest non-erased record index, -1 if none */
#ifdef BUG_B6
    uint32_t top_seq;               /* B6: highest seq field of any record with the magic */
#endif
#line 56
};

void jrec_encode(const struct jrec *r, uint8_t out[JREC_SIZE]);
/* Returns 0 and fills r when the bytes are a valid record. */
int jrec_decode(const uint8_t in[JREC_SIZE], struct jrec *r);

static inline uint32_t journal_sector_base(int sector)
{
    return sector ? JOURNAL1_BASE : JOURNAL0_BASE;
}

/* Scans both sectors. Returns 0 (also when no valid record exists). */
int journal_load(struct journal *j, const struct flash_ops *f);

/* Appends r with seq = latest seq + 1 (1 if none): units 0..6 in order,
 * then unit 7 (the CRC) as the commit; erases the other sector first when
 * the current one is full. Reads the record back. On success r->seq is set
 * and j->latest == *r. Returns 0, or -1 on a flash error or read-back
 * mismatch (the journal is then reloaded from flash). */
int journal_append(struct journal *j, struct jrec *r);

/* A fresh record template: copy of the latest, or all-EMPTY when none. */
void journal_template(const struct journal *j, struct jrec *r);

const char *state_name(int state);
const char *reason_name(int reason);

#endif
