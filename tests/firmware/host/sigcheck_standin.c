/* The stand-in signature step of the boot-state host tests (see hostsig.c):
 * linked in place of firmware_fixtures/src/core/sigcheck.c. */
#include <string.h>

#include "hostsig.h"
#include "image.h"

enum img_result image_check_signature(const uint8_t digest[SHA256_DIGEST_SIZE],
                                      const uint8_t keyhash[IMAGE_KEYHASH_SIZE],
                                      const uint8_t sig[IMAGE_SIG_SIZE], struct img_info *info)
{
    uint8_t want[IMAGE_SIG_SIZE];
    host_keyhash(want);
    if (memcmp(want, keyhash, IMAGE_KEYHASH_SIZE) != 0) {
        info->why = "key-hash-mismatch";
        return IMG_E_KEY;
    }
    host_signature(digest, want);
    if (memcmp(want, sig, IMAGE_SIG_SIZE) != 0) {
        info->why = "bad-signature";
        return IMG_E_SIG;
    }
    return IMG_OK;
}
