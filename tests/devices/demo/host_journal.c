/* Host build of the firmware's journal code (firmware_fixtures/src/core/
 * journal.c), so the tests can compare pytest_iot_hil.bootstate.journal with
 * the real C.
 *
 *   host_journal encode SEQ PREF REASON FLOOR BOOT_COUNT  (STATE TRIES SEC VER DIGEST) x2
 *       prints the 64-byte jrec_encode() output in hex
 *   host_journal load FILE
 *       FILE is the 8 KiB journal region; prints
 *       "latest=<seq|none> sector=S index=I used=U0,U1 next=S,I,ERASED"
 *       where next is where journal_append() puts the following record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"

static unsigned char flash[FLASH_SIZE];
static int erased_sector = -1;

static int rd(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    (void)ctx;
    memcpy(buf, flash + addr, len);
    return 0;
}

static int wr(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    (void)ctx;
    memcpy(flash + addr, buf, len);
    return 0;
}

static int er(void *ctx, uint32_t addr)
{
    (void)ctx;
    memset(flash + addr, 0xFF, FLASH_SECTOR_SIZE);
    erased_sector = addr == JOURNAL1_BASE;
    return 0;
}

static unsigned long num(const char *s)
{
    return strtoul(s, 0, 0);
}

int main(int argc, char **argv)
{
    const struct flash_ops ops = { rd, wr, er, 0, 0 };
    if (argc == 17 && strcmp(argv[1], "encode") == 0) {
        struct jrec r;
        uint8_t out[JREC_SIZE];
        r.seq = num(argv[2]);
        r.preferred = num(argv[3]);
        r.reason = num(argv[4]);
        r.floor = num(argv[5]);
        r.boot_count = num(argv[6]);
        for (int s = 0; s < NUM_SLOTS; s++) {
            r.slot[s].state = num(argv[7 + 5 * s]);
            r.slot[s].tries = num(argv[8 + 5 * s]);
            r.slot[s].sec_cnt = num(argv[9 + 5 * s]);
            r.slot[s].version = num(argv[10 + 5 * s]);
            r.slot[s].digest = num(argv[11 + 5 * s]);
        }
        jrec_encode(&r, out);
        for (unsigned i = 0; i < JREC_SIZE; i++) {
            printf("%02x", out[i]);
        }
        printf("\n");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "load") == 0) {
        struct journal j;
        FILE *f = fopen(argv[2], "rb");
        if (!f || fread(flash + JOURNAL0_BASE, 1, 2 * FLASH_SECTOR_SIZE, f) != 2 * FLASH_SECTOR_SIZE) {
            fprintf(stderr, "cannot read %s\n", argv[2]);
            return 2;
        }
        fclose(f);
        journal_load(&j, &ops);
        if (j.have_latest) {
            printf("latest=%lu sector=%d index=%d", (unsigned long)j.latest.seq, j.latest_sector, j.latest_index);
        } else {
            printf("latest=none sector=-1 index=-1");
        }
        printf(" used=%d,%d", j.last_used[0], j.last_used[1]);
        /* Append a record and find where it went. */
        static unsigned char before[2 * FLASH_SECTOR_SIZE];
        memcpy(before, flash + JOURNAL0_BASE, sizeof before);
        struct jrec r;
        journal_template(&j, &r);
        if (journal_append(&j, &r) != 0) {
            printf(" next=fail\n");
            return 0;
        }
        printf(" next=%d,%d,%d\n", j.latest_sector, j.latest_index, erased_sector >= 0);
        return 0;
    }
    fprintf(stderr, "usage: host_journal encode ... | host_journal load FILE\n");
    return 2;
}
