/* Host driver of the firmware's Ed25519 verifier and SHA-512.
 *
 *   test_ed25519 verify     stdin: lines "PUB SIG MSG" (hex; MSG may be "-"
 *                           for empty); stdout: one result per line
 *                           (OK, E_KEY, E_S, E_SIG)
 *   test_ed25519 sha512     stdin: lines of hex ("-" for empty); stdout: digests
 *   test_ed25519 selftest   exit status 0 (the sanitizer probe)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "sha512.h"

static const char *result_name(enum ed25519_result r)
{
    switch (r) {
    case ED25519_OK: return "OK";
    case ED25519_E_KEY: return "E_KEY";
    case ED25519_E_S: return "E_S";
    case ED25519_E_SIG: return "E_SIG";
    }
    return "?";
}

/* Hex into a fresh buffer of exactly the decoded length (so ASan sees any
 * read past it); "-" is empty. Returns -1 on bad hex. */
static long unhex(const char *s, uint8_t **out)
{
    size_t n = strcmp(s, "-") == 0 ? 0 : strlen(s);
    if (n % 2) {
        return -1;
    }
    uint8_t *b = malloc(n / 2 ? n / 2 : 1);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            free(b);
            return -1;
        }
        b[i] = (uint8_t)v;
    }
    *out = b;
    return (long)(n / 2);
}

static char line[1 << 20];

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "selftest") == 0) {
        uint8_t d[SHA512_DIGEST_SIZE];
        struct sha512 s;
        sha512_init(&s);
        sha512_update(&s, "abc", 3);
        sha512_final(&s, d);
        return d[0] == 0xdd ? 0 : 1;
    }
    if (argc == 2 && strcmp(argv[1], "sha512") == 0) {
        while (fgets(line, sizeof line, stdin)) {
            line[strcspn(line, "\r\n")] = 0;
            uint8_t *m;
            long n = unhex(line, &m);
            if (n < 0) {
                printf("bad-hex\n");
                continue;
            }
            uint8_t d[SHA512_DIGEST_SIZE];
            struct sha512 s;
            sha512_init(&s);
            /* in two parts, to cross block boundaries mid-update */
            sha512_update(&s, m, (size_t)n / 3);
            sha512_update(&s, m + n / 3, (size_t)(n - n / 3));
            sha512_final(&s, d);
            for (int i = 0; i < SHA512_DIGEST_SIZE; i++) {
                printf("%02x", d[i]);
            }
            printf("\n");
            free(m);
        }
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "verify") == 0) {
        while (fgets(line, sizeof line, stdin)) {
            char *pub = strtok(line, " \r\n"), *sig = strtok(0, " \r\n"), *msg = strtok(0, " \r\n");
            uint8_t *p, *s, *m;
            if (!pub || !sig || !msg) {
                printf("bad-line\n");
                continue;
            }
            long pn = unhex(pub, &p), sn = unhex(sig, &s), mn = unhex(msg, &m);
            if (pn != ED25519_KEY_SIZE || sn != ED25519_SIG_SIZE || mn < 0) {
                printf("bad-line\n");
            } else {
                printf("%s\n", result_name(ed25519_verify(s, m, (size_t)mn, p)));
            }
            if (pn >= 0) free(p);
            if (sn >= 0) free(s);
            if (mn >= 0) free(m);
            fflush(stdout);
        }
        return 0;
    }
    fprintf(stderr, "usage: %s verify | sha512 | selftest\n", argv[0]);
    return 2;
}
