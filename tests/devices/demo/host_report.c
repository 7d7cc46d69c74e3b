/* Host build of the firmware's report.c: prints the BOOT and info lines of
 * fixed scenarios, one per line, so the tests can parse exactly what the
 * firmware prints. Line buffers are 200 bytes, as in src/app/main.c and
 * src/boot/main.c. */
#include <stdio.h>
#include <string.h>

#include "report.h"

static void boot(int slot, uint32_t version, uint8_t state, uint8_t tries, uint32_t floor, uint32_t seq,
                 int cause, const char *rollback)
{
    char line[200];
    struct strfmt sf;
    struct boot_result br;
    memset(&br, 0, sizeof br);
    br.slot = slot;
    br.info.version = version;
    br.state = state;
    br.tries = tries;
    br.floor = floor;
    br.seq = seq;
    br.rollback = rollback;
    sf_init(&sf, line, sizeof line);
    report_boot_line(&sf, &br, cause);
    printf("%s\n", line);
}

static void set_slot(struct slot_rec *s, uint8_t state, uint8_t tries, uint32_t sec, uint32_t version)
{
    s->state = state;
    s->tries = tries;
    s->sec_cnt = sec;
    s->version = version;
    s->digest = 0x12345678u;
}

static void info(const struct journal *j, int running, uint32_t version, int cause)
{
    char line[200];
    struct strfmt sf;
    sf_init(&sf, line, sizeof line);
    report_info(&sf, j, running, version, cause);
    printf("%s\n", line);
}

int main(void)
{
    boot(SLOT_A, 0x01000000u, ST_CONFIRMED, 3, 1, 1, RC_REBOOT, "NONE");
    boot(SLOT_B, 0x02000003u, ST_PENDING, 2, 1, 12, RC_WATCHDOG, "NONE");
    boot(SLOT_A, 0x01000000u, ST_CONFIRMED, 3, 1, 15, RC_POWER_ON, "TRIES_EXHAUSTED");
    boot(-1, 0, 0, 0, 2, 40, RC_HARDFAULT, "NO_VALID_IMAGE");
    boot(SLOT_B, 0xFFFFFFFFu, ST_BAD, 255, 0xFFFFFFFFu, 0xFFFFFFFFu, RC_MARK_BAD, "INVALID");
    boot(SLOT_A, 0x00090000u, ST_CONFIRMED, 3, 0, 2, 99, "MARK_BAD");

    struct journal j;
    memset(&j, 0, sizeof j);
    info(&j, SLOT_A, 0x01000000u, RC_POWER_ON);

    j.have_latest = 1;
    j.latest.seq = 7;
    j.latest.floor = 2;
    set_slot(&j.latest.slot[SLOT_A], ST_CONFIRMED, 3, 1, 0x01000000u);
    set_slot(&j.latest.slot[SLOT_B], ST_PENDING, 1, 2, 0x02000000u);
    info(&j, SLOT_B, 0x02000000u, RC_REBOOT);

    set_slot(&j.latest.slot[SLOT_A], ST_BAD, 0, 1, 0x01000000u);
    set_slot(&j.latest.slot[SLOT_B], ST_BAD, 0, 2, 0x02000000u);
    info(&j, -1, 0, RC_WATCHDOG);

    /* The longest line the fields allow. */
    j.latest.seq = 0xFFFFFFFFu;
    j.latest.floor = 0xFFFFFFFFu;
    set_slot(&j.latest.slot[SLOT_A], ST_CONFIRMED, 255, 0xFFFFFFFFu, 0xFFFFFFFFu);
    set_slot(&j.latest.slot[SLOT_B], ST_CONFIRMED, 255, 0xFFFFFFFFu, 0xFFFFFFFFu);
    info(&j, SLOT_A, 0xFFFFFFFFu, RC_HARDFAULT);
    return 0;
}
