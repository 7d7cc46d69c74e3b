/* The signature step of image_validate(): MCUboot's ED25519 TLV over the
 * image's SHA-256 digest (what `imgtool sign --key` signs for an Ed25519
 * key), by the one key this bootloader trusts, which the KEYHASH TLV must
 * name: SHA-256 of the key's SubjectPublicKeyInfo (RFC 8410) encoding. */
#include "ed25519.h"
#include "image.h"
#include "trust_key.h"

/* SEQUENCE { SEQUENCE { OID 1.3.101.112 (Ed25519) }, BIT STRING (32 bytes) } */
static const uint8_t SPKI_PREFIX[12] = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};

enum img_result image_check_signature(const uint8_t digest[SHA256_DIGEST_SIZE],
                                      const uint8_t keyhash[IMAGE_KEYHASH_SIZE],
                                      const uint8_t sig[IMAGE_SIG_SIZE], struct img_info *info)
{
    uint8_t ours[SHA256_DIGEST_SIZE];
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, SPKI_PREFIX, sizeof SPKI_PREFIX);
    sha256_update(&s, trust_key, TRUST_KEY_SIZE);
    sha256_final(&s, ours);
    uint8_t diff = 0;
    for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++) {
        diff |= (uint8_t)(ours[i] ^ keyhash[i]);
    }
    if (diff) {
        info->why = "key-hash-mismatch";
        return IMG_E_KEY;
    }
    if (ed25519_verify(sig, digest, SHA256_DIGEST_SIZE, trust_key) != ED25519_OK) {
        info->why = "bad-signature";
        return IMG_E_SIG;
    }
    return IMG_OK;
}
