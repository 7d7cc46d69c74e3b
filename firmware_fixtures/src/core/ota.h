/* The update engine behind SMP's image upload and state write (smp_img.c):
 * the slot invalidated before its first erase, chunks written in order and
 * verified, the file digest and the bootloader's own validation at the end,
 * then a journal record. Hardware-free: flash through flash_ops. */
#ifndef OTA_H
#define OTA_H

#include <stdint.h>
#include "flash_ops.h"
#include "image.h"
#include "journal.h"

#define OTA_SECTORS (SLOT_SIZE / SLOT_SECTOR_SIZE)

struct ota {
    const struct flash_ops *f;
    struct journal *j;
    int running;                /* slot running now, -1 in recovery */
    int target;                 /* the slot updates are written to */
    int active;                 /* a BEGIN was accepted */
    uint32_t size;              /* announced image size */
    uint8_t digest[SHA256_DIGEST_SIZE];
    uint32_t next;              /* bytes [0, next) written and verified */
    uint8_t erased[(OTA_SECTORS + 7) / 8];
    int finished;               /* FINISH validated the slot */
    struct img_info fin;

    char detail[40];            /* room for a detail built at run time ("expected-offset=N") */
};

/* The result of a step: code NULL means done; otherwise the refusal's code
 * (E_HASH, E_RANGE, ...) and detail, which SMP's reply carries as its "rsn". */
struct ota_status {
    const char *code;
    const char *detail;
};

/* BEGIN: size and the SHA-256 of the whole file; the same again resumes. */
struct ota_status ota_begin(struct ota *o, uint32_t size, const uint8_t *digest);
/* DATA at off (a multiple of 8; len too, but for the last chunk, which is
 * padded in place: p needs 7 bytes of room after len). */
struct ota_status ota_data(struct ota *o, uint32_t off, uint8_t *p, uint32_t len);
/* FINISH: the file digest, then the bootloader's own validation. */
struct ota_status ota_finish(struct ota *o);
/* ACTIVATE: mode 0 = test (PENDING, TRIES tries), 1 = permanent. */
struct ota_status ota_activate(struct ota *o, uint8_t mode);

void ota_init(struct ota *o, const struct flash_ops *f, struct journal *j,
              int running, int target);

#endif
