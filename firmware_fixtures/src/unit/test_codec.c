/* Real checks of the firmware's own code (CRC-32, SHA-256, the string
 * builder), plus one case that fails and one that is skipped on purpose. */
#include <stdint.h>
#include "runner.h"
#include "../core/crc32.h"
#include "../core/sha256.h"
#include "../core/strfmt.h"

UNIT_TEST(codec, test_crc32_check_value)
{
    /* The CRC-32/ISO-HDLC check value of "123456789". */
    UNIT_ASSERT_EQUAL_U32(0xCBF43926u, crc32_update(0, "123456789", 9));
}

UNIT_TEST(codec, test_sha256_of_abc)
{
    static const uint8_t want[4] = {0xba, 0x78, 0x16, 0xbf};  /* FIPS 180-4, example "abc" */
    struct sha256 s;
    uint8_t out[SHA256_DIGEST_SIZE];
    sha256_init(&s);
    sha256_update(&s, "abc", 3);
    sha256_final(&s, out);
    for (int i = 0; i < 4; i++) {
        UNIT_ASSERT(out[i] == want[i], "SHA-256(abc) starts ba7816bf");
    }
}

UNIT_TEST(codec, test_strfmt_truncates)
{
    char buf[4];
    struct strfmt sf;
    sf_init(&sf, buf, sizeof buf);
    sf_str(&sf, "abcdef");
    UNIT_ASSERT_EQUAL_U32(3u, (uint32_t)sf.len);
    UNIT_ASSERT(str_eq(buf, "abc"), "the builder keeps what fits");
}

UNIT_TEST(codec, test_deliberately_wrong)
{
    /* Fails on purpose: the collector must report this line and message. */
    UNIT_ASSERT_EQUAL_U32(0x1234u, 0x1235u);
}

UNIT_TEST(codec, test_not_ready_yet)
{
    UNIT_SKIP();
}
