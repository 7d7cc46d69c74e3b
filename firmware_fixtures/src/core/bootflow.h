/* Boot decision (PROTOCOL.md) and the app-side journal updates
 * (confirm, mark-bad). Hardware-free: the caller prints, arms the watchdog
 * and jumps. */
#ifndef BOOTFLOW_H
#define BOOTFLOW_H

#include <stdint.h>
#include "flash_ops.h"
#include "image.h"
#include "journal.h"

enum reset_cause {
    RC_POWER_ON = 0,
    RC_REBOOT = 1,
    RC_WATCHDOG = 2,
    RC_HARDFAULT = 3,
    RC_MARK_BAD = 4,
};

struct boot_result {
    int slot;                 /* SLOT_A, SLOT_B, or -1 for recovery */
    struct img_info info;     /* of the slot booted */
    uint8_t state;            /* its state in the latest record */
    uint8_t tries;            /* its tries left after this boot's decrement */
    uint32_t floor;           /* of the latest record (0 if none) */
    uint32_t seq;             /* of the latest record (0 if none) */
    const char *rollback;     /* NONE, TRIES_EXHAUSTED, INVALID, MARK_BAD, NO_VALID_IMAGE */
    int refused_slot;         /* a PENDING or CONFIRMED slot this boot found invalid, or -1 */
    enum img_result refused;  /* ... its img_result */
    const char *refused_why;  /* ... and the detail */
};

/* Loads the journal, applies the decision and its write-ahead records. */
void boot_decide(struct journal *j, const struct flash_ops *f, struct boot_result *out);

/* confirm: {running CONFIRMED, floor = max(floor, sec_cnt), reason CONFIRM}.
 * Returns 0 (with *seq = the record now latest; no write if already
 * CONFIRMED), -1 on a flash error, -2 if the running slot is neither
 * PENDING nor CONFIRMED in the journal. */
int bs_confirm(struct journal *j, const struct flash_ops *f, int running, uint32_t sec_cnt,
               uint32_t *seq);

/* mark-bad: {running BAD, reason MARK_BAD, preferred = other}. */
int bs_mark_bad(struct journal *j, const struct flash_ops *f, int running);

const char *reset_cause_name(int cause);

#ifdef BUG_B13
/* B13: writes the confirm record that bs_confirm only queued (after the app replied OK). */
int bs_confirm_commit(void);
#endif

#endif
