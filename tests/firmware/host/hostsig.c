/* The signature step for the boot-state host tests (test_bootstate.c),
 * standing in for firmware_fixtures/src/core/sigcheck.c: those tests make
 * their images in C at run time, thousands of them under power cuts, and
 * have no Ed25519 signer. It keeps the rules that matter to the boot flow:
 * the key hash must name the "host key" and the signature must belong to
 * this digest (SHA-256("host-sig" || digest), then 32 zero bytes), so a
 * missing, foreign or transplanted signature is refused just as on the
 * device. The real verifier is tested by test_host_ed25519.py and, with
 * imgtool-signed images, by this same file's `validate` build and
 * tests/images/. */
#include <string.h>

#include "image.h"
#include "hostsig.h"

void host_keyhash(uint8_t out[IMAGE_KEYHASH_SIZE])
{
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, "host-key", 8);
    sha256_final(&s, out);
}

void host_signature(const uint8_t digest[SHA256_DIGEST_SIZE], uint8_t out[IMAGE_SIG_SIZE])
{
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, "host-sig", 8);
    sha256_update(&s, digest, SHA256_DIGEST_SIZE);
    sha256_final(&s, out);
    memset(out + 32, 0, IMAGE_SIG_SIZE - 32);
}
