/* Validation of MCUboot-format images in place in a slot: Ed25519-signed
 * (`imgtool sign --key`, the signature over the SHA-256 TLV's digest) by
 * the trusted key, SEC_CNT in the protected area. */
#ifndef IMAGE_H
#define IMAGE_H

#include <stdint.h>
#include "flash_ops.h"
#include "sha256.h"

#define IMAGE_MAGIC             0x96f3b83du
#define IMAGE_F_ROM_FIXED       0x00000100u
#define IMAGE_TLV_INFO_MAGIC    0x6907u   /* unprotected TLV area */
#define IMAGE_TLV_PROT_MAGIC    0x6908u   /* protected TLV area */
#define IMAGE_TLV_KEYHASH       0x01u   /* SHA-256 of the signing key (SubjectPublicKeyInfo) */
#define IMAGE_TLV_SHA256        0x10u
#define IMAGE_TLV_ED25519       0x24u
#define IMAGE_TLV_SEC_CNT       0x50u
#define IMAGE_KEYHASH_SIZE      32u
#define IMAGE_SIG_SIZE          64u

enum img_result {
    IMG_OK = 0,
    IMG_E_MAGIC,     /* bad header magic */
    IMG_E_LOADADDR,  /* ROM_FIXED missing, load address != slot, or vectors outside the image */
    IMG_E_SIZE,      /* header size != 0x200, or image larger than the slot / announced size */
    IMG_E_TLV,       /* TLV areas malformed, SEC_CNT or SHA256 missing, unknown unprotected TLV */
    IMG_E_HASH,      /* SHA-256 mismatch (or not the digest the journal expects) */
    IMG_E_ROLLBACK,  /* SEC_CNT below the floor */
    IMG_E_FLASH,     /* read error */
    IMG_E_SIG,       /* no signature, a malformed one, or one that does not verify */
    IMG_E_KEY,       /* no key hash, or not the trusted key's */
};

struct img_info {
    uint32_t version;        /* major<<24 | minor<<16 | revision */
    uint32_t sec_cnt;
    uint32_t total_size;     /* header + payload + both TLV areas */
    uint8_t sha256[SHA256_DIGEST_SIZE];
    const char *why;         /* the refusal's detail (one token), 0 when valid */
};

/* Full check of the image at base (slot of slot_size bytes). limit is the
 * most bytes the image may span (slot_size, or the announced transfer size).
 * expected_digest, when non-NULL, must equal the first 4 bytes of the hash
 * (big-endian), as recorded in the journal. */
enum img_result image_validate(const struct flash_ops *f, uint32_t base, uint32_t limit,
                               uint32_t floor, const uint32_t *expected_digest,
                               struct img_info *info);

const char *img_result_name(enum img_result r);
/* The one-token detail of a refusal, as the console and SMP's rsn give it. */
const char *img_detail(enum img_result r, const struct img_info *info);

/* The signature step (sigcheck.c in the firmware): the digest signed by the
 * trusted key, named by keyhash. IMG_OK, IMG_E_KEY (another key) or
 * IMG_E_SIG (the signature does not verify), with info->why set. */
enum img_result image_check_signature(const uint8_t digest[SHA256_DIGEST_SIZE],
                                      const uint8_t keyhash[IMAGE_KEYHASH_SIZE],
                                      const uint8_t sig[IMAGE_SIG_SIZE], struct img_info *info);

static inline uint32_t digest_prefix(const uint8_t sha[SHA256_DIGEST_SIZE])
{
    return (uint32_t)sha[0] << 24 | (uint32_t)sha[1] << 16 | (uint32_t)sha[2] << 8 | sha[3];
}

#endif
