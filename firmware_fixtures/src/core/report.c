#include "report.h"

static void kv_str(struct strfmt *sf, const char *key, const char *v)
{
    sf_char(sf, ' ');
    sf_str(sf, key);
    sf_char(sf, '=');
    sf_str(sf, v);
}

static void kv_u32(struct strfmt *sf, const char *key, uint32_t v)
{
    sf_char(sf, ' ');
    sf_str(sf, key);
    sf_char(sf, '=');
    sf_u32(sf, v);
}

void report_refused(struct strfmt *sf, const char *code, const char *detail, int slot)
{
    sf_str(sf, "REFUSED ");
    sf_str(sf, code);
    if (detail) {
        sf_char(sf, ' ');
        sf_str(sf, detail);
    }
    sf_str(sf, " slot=");
    sf_char(sf, slot_letter(slot));
}

void report_boot_line(struct strfmt *sf, const struct boot_result *br, int cause)
{
    sf_str(sf, "BOOT slot=");
    if (br->slot >= 0) {
        sf_char(sf, slot_letter(br->slot));
        sf_str(sf, " version=");
        sf_version(sf, br->info.version);
        kv_str(sf, "state", state_name(br->state));
    } else {
        sf_str(sf, "- version=- state=RECOVERY");
    }
    kv_u32(sf, "tries", br->slot >= 0 ? br->tries : 0);
    kv_u32(sf, "floor", br->floor);
    kv_u32(sf, "seq", br->seq);
    kv_str(sf, "reset", reset_cause_name(cause));
    kv_str(sf, "rollback", br->rollback);
}

void report_info(struct strfmt *sf, const struct journal *j, int running, uint32_t version, int cause)
{
    sf_str(sf, "info slot=");
    if (running >= 0) {
        sf_char(sf, slot_letter(running));
        sf_str(sf, " version=");
        sf_version(sf, version);
        kv_str(sf, "state", j->have_latest ? state_name(j->latest.slot[running].state) : "NONE");
    } else {
        sf_str(sf, "- version=- state=RECOVERY");
    }
    kv_u32(sf, "floor", j->have_latest ? j->latest.floor : 0);
    kv_u32(sf, "seq", j->have_latest ? j->latest.seq : 0);
    for (int s = 0; s < NUM_SLOTS; s++) {
        struct slot_rec none = { ST_EMPTY, 0, 0, 0, 0 };
        const struct slot_rec *r = j->have_latest ? &j->latest.slot[s] : &none;
        sf_char(sf, ' ');
        sf_char(sf, slot_letter(s));
        sf_char(sf, '=');
        sf_str(sf, state_name(r->state));
        sf_char(sf, ',');
        sf_version(sf, r->version);
        sf_str(sf, ",sec=");
        sf_u32(sf, r->sec_cnt);
        sf_str(sf, ",tries=");
        sf_u32(sf, r->tries);
    }
    kv_str(sf, "reset", reset_cause_name(cause));
}
