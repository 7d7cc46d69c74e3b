/* The BOOT line and the info line, in the exact form PROTOCOL.md gives. */
#ifndef REPORT_H
#define REPORT_H

#include "bootflow.h"
#include "journal.h"
#include "strfmt.h"

void report_boot_line(struct strfmt *sf, const struct boot_result *br, int cause);
/* "REFUSED <code> <detail> slot=<S>": an image the bootloader (at boot) or
 * the update engine (at the end of an upload) would not take. */
void report_refused(struct strfmt *sf, const char *code, const char *detail, int slot);
/* running = SLOT_A/SLOT_B, or -1 in the bootloader's recovery mode. */
void report_info(struct strfmt *sf, const struct journal *j, int running, uint32_t version, int cause);

#endif
