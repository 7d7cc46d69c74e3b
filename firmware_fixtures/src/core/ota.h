/* Update protocol over the console: COBS frames in, text lines out.
 * See PROTOCOL.md. Hardware-free: flash through flash_ops, replies through
 * a callback. */
#ifndef OTA_H
#define OTA_H

#include <stdint.h>
#include "console.h"
#include "flash_ops.h"
#include "image.h"
#include "journal.h"

enum ota_type {
    OTA_BEGIN = 1,
    OTA_DATA = 2,
    OTA_QUERY = 3,
    OTA_FINISH = 4,
    OTA_ACTIVATE = 5,
};

#define OTA_SECTORS (SLOT_SIZE / FLASH_SECTOR_SIZE)

typedef void (*ota_reply_fn)(void *ctx, const char *line);

struct ota {
    const struct flash_ops *f;
    struct journal *j;
    int running;                /* slot running now, -1 in recovery */
    int target;                 /* the slot updates are written to */
    ota_reply_fn reply;
    void *reply_ctx;

    int have_acked;
    uint16_t last_seq;

    int active;                 /* a BEGIN was accepted */
    uint32_t size;              /* announced image size */
    uint8_t digest[SHA256_DIGEST_SIZE];
    uint32_t next;              /* bytes [0, next) written and verified */
    uint8_t erased[(OTA_SECTORS + 7) / 8];
    int finished;               /* FINISH validated the slot */
    struct img_info fin;
    int activated;              /* last ACTIVATE done, for an identical resend */
    uint16_t activate_seq;
    uint8_t activate_mode;

    char detail[40];            /* room for a detail built at run time ("expected-offset=N") */
    uint8_t buf[OTA_FRAME_MAX];
};

/* The update steps without a frame around them (for SMP's image upload and
 * state write): code NULL means done; otherwise the refusal's code (E_HASH,
 * E_RANGE, ...) and detail, as the frame protocol's NACK carries them. */
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
              int running, int target, ota_reply_fn reply, void *ctx);
/* One frame as received between the 0x00 delimiters (still COBS-encoded). */
void ota_frame(struct ota *o, const uint8_t *enc, uint32_t len);
/* Reports a frame the console had to drop (overlong, cut off). */
void ota_frame_error(struct ota *o, const char *detail);

#endif
