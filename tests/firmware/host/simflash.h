/* Simulated flash for host tests of the firmware core, as strict as the
 * real part (like MCUboot's sim/ simflash): 4 KiB erase sectors, 8-byte
 * program units written at most once per erase, erased = 0xFF. A second
 * program of a unit or a misaligned access is a violation (the test fails).
 *
 * Power cuts: with cut_at = n, operation n (1-based, writes and erases
 * counted) does not complete and control longjmps to sim->on_cut, which
 * stands for the loss of power. In torn mode the interrupted operation is
 * partly applied: a program clears only some of the bits it should (or, one
 * time in four, only the first 32-bit word of the unit it stopped in, as the
 * word-by-word stores of the QEMU target leave it), an erase sets only some
 * bits, as interrupted NOR operations do. */
#ifndef SIMFLASH_H
#define SIMFLASH_H

#include <setjmp.h>
#include <stdint.h>
#include "flash_ops.h"
#include "layout.h"

enum cut_mode {
    CUT_BEFORE = 0,   /* the interrupted operation has no effect */
    CUT_TORN = 1,     /* the interrupted operation is partly applied */
};

struct simflash {
    uint8_t mem[FLASH_SIZE];
    uint8_t programmed[FLASH_SIZE / FLASH_UNIT];
    long ops;               /* operations done since reset of the counter */
    long erases, writes;
    long cut_at;            /* 0: no cut */
    enum cut_mode cut_mode;
    uint32_t rng;
    jmp_buf *on_cut;
    int violations;
    char violation[160];
    struct flash_ops ops_if;
};

void sim_init(struct simflash *s);              /* all erased */
void sim_put(struct simflash *s, uint32_t addr, const void *data, uint32_t len);  /* factory load */
const struct flash_ops *sim_ops(struct simflash *s);

#endif
