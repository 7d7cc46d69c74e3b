/* MCUmgr's image group on the demo device: upload, state read and state
 * write, mapped onto the update engine (ota.c) and the journal.
 *
 * Slots 0 and 1 are A and B. An upload (image 0) goes to the inactive slot:
 * its first request (off 0, len, sha) is the engine's BEGIN (an identical
 * one resumes: the answer's "off" says where), the data its DATA steps
 * (chunks of any length: up to 7 bytes wait in RAM for the next chunk, as
 * flash takes whole 8-byte units), and the last chunk runs FINISH, the same
 * validation the bootloader runs ("match": true). A state write with the
 * new image's hash is ACTIVATE (confirm false: a trial with the try
 * counter; true: permanent); a confirm without a hash confirms the running
 * image (the app's own confirm, health check included). Refusals are
 * {"rc": 3 (EINVAL) or 6 (EBADSTATE), "rsn": "<engine code> <detail>"}. */
#ifndef SMP_IMG_H
#define SMP_IMG_H

#include "ota.h"
#include "smp.h"

#define SMP_GROUP_IMAGE 1u
#define SMP_IMG_STATE 0u
#define SMP_IMG_UPLOAD 1u

struct smp_img {
    struct ota *ota;
    struct journal *j;
    const struct flash_ops *f;
    int running;                    /* slot running now, -1 in the bootloader's recovery */
    /* The app's confirm of the running image (health check, journal record); 0 when done. */
    int (*confirm)(void *app, const char **reason);
    void *app;
    uint32_t accepted;              /* bytes of the upload taken: flash + carry */
    uint8_t carry[FLASH_UNIT];
    uint32_t carry_len;
    char reason[64];
    /* The update engine's refusal of the uploaded image (at its end), for
     * the caller to report on the console; code 0 when there is none. */
    struct ota_status refused;
    uint8_t stage[SMP_BUF_SIZE + 2u * FLASH_UNIT];
};

void smp_img_init(struct smp_img *m, struct ota *o, struct journal *j, const struct flash_ops *f, int running,
                  int (*confirm)(void *app, const char **reason), void *app);

int smp_img_upload(void *ctx, const uint8_t *body, uint32_t n, struct cbor_writer *w, const char **reason);
int smp_img_state_read(void *ctx, const uint8_t *body, uint32_t n, struct cbor_writer *w, const char **reason);
int smp_img_state_write(void *ctx, const uint8_t *body, uint32_t n, struct cbor_writer *w, const char **reason);

#endif
