/* Host tests of the SMP-over-console code (base64, CRC-16/XMODEM, CBOR, framing, dispatch).
 *
 *   test_smp selftest      built-in vectors and malformed inputs; prints "ok - <name>" per check group
 *   test_smp serve         reads a raw UART stream on stdin, as the device would receive it, and
 *                          prints what the device made of it:
 *                            TEXT <hex>   console text (everything between packets)
 *                            REQ <hex>    a whole request message (header + CBOR)
 *                            OUT <hex>    the response, as the wire bytes the device sends
 *                            DROPPED <n>  broken packets dropped silently (at the end)
 *                          serving the echo and MCUmgr params commands. */
#include <stdio.h>
#include <string.h>
#include "base64.h"
#include "cbor.h"
#include "crc16.h"
#include "smp.h"
#include "smp_os.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static void t_base64(void)
{
    /* RFC 4648 section 10 */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    char out[16];
    uint8_t back[16];
    for (int i = 0; i < 7; i++) {
        size_t n = b64_encode((const uint8_t *)plain[i], strlen(plain[i]), out);
        CHECK(n == strlen(enc[i]) && memcmp(out, enc[i], n) == 0);
        int m = b64_decode((const uint8_t *)enc[i], strlen(enc[i]), back, sizeof back);
        CHECK(m == (int)strlen(plain[i]) && memcmp(back, plain[i], (size_t)m) == 0);
    }
    static const char *const bad[] = {"Zg=", "Z===", "Zg==Zm8=", "Zm9v!A==", "Zm=v", "====", "Zm9\n"};
    for (int i = 0; i < 7; i++) {
        CHECK(b64_decode((const uint8_t *)bad[i], strlen(bad[i]), back, sizeof back) == -1);
    }
    CHECK(b64_decode((const uint8_t *)"Zm9vYmFy", 8, back, 5) == -1);   /* does not fit */
    printf("ok - base64\n");
}

static void t_crc16(void)
{
    CHECK(crc16_xmodem(0, "123456789", 9) == 0x31C3);   /* CRC-16/XMODEM check value */
    uint16_t part = crc16_xmodem(0, "1234", 4);
    CHECK(crc16_xmodem(part, "56789", 5) == 0x31C3);
    printf("ok - crc16\n");
}

struct seen {
    int count;
    uint32_t off;
    size_t data_len;
    int upgrade;
    int stop_at;
};

static int entry(void *ctx, const uint8_t *key, size_t key_len, const struct cbor_value *v)
{
    struct seen *s = ctx;
    s->count++;
    if (cbor_key_is(key, key_len, "off") && v->type == CBOR_UINT) {
        s->off = v->u;
    } else if (cbor_key_is(key, key_len, "data") && v->type == CBOR_BSTR) {
        s->data_len = v->n;
    } else if (cbor_key_is(key, key_len, "upgrade") && v->type == CBOR_BOOL) {
        s->upgrade = (int)v->u;
    }
    return s->count == s->stop_at ? 42 : 0;
}

static void t_cbor(void)
{
    uint8_t buf[64];
    struct cbor_writer w;
    cbor_writer_init(&w, buf, sizeof buf);
    cbor_put_map(&w, 3);
    cbor_put_tstr(&w, "off");
    cbor_put_uint(&w, 70000);
    cbor_put_tstr(&w, "data");
    cbor_put_bstr(&w, (const uint8_t *)"abc", 3);
    cbor_put_tstr(&w, "upgrade");
    cbor_put_bool(&w, 1);
    static const uint8_t want[] = {0xA3, 0x63, 'o', 'f', 'f', 0x1A, 0x00, 0x01, 0x11, 0x70, 0x64, 'd', 'a', 't',
                                   'a', 0x43, 'a', 'b', 'c', 0x67, 'u', 'p', 'g', 'r', 'a', 'd', 'e', 0xF5};
    CHECK(!w.overflow && w.len == sizeof want && memcmp(buf, want, sizeof want) == 0);
    struct seen s = {0, 0, 0, 0, 0};
    CHECK(cbor_read_map(buf, w.len, entry, &s) == 0 && s.count == 3 && s.off == 70000 && s.data_len == 3 && s.upgrade);
    struct seen stop = {0, 0, 0, 0, 2};
    CHECK(cbor_read_map(buf, w.len, entry, &stop) == 42 && stop.count == 2);   /* the callback's verdict */
    /* Truncated at every length: refused, never read past the end. */
    for (size_t n = 0; n < w.len; n++) {
        struct seen t = {0, 0, 0, 0, 0};
        CHECK(cbor_read_map(buf, n, entry, &t) == -1);
    }
    static const uint8_t nested[] = {0xA1, 0x61, 'a', 0xA0};                  /* {"a": {}} */
    static const uint8_t indefinite[] = {0xBF, 0x61, 'a', 0x01, 0xFF};        /* {_ "a": 1} */
    static const uint8_t intkey[] = {0xA1, 0x01, 0x01};                       /* {1: 1} */
    static const uint8_t longarg[] = {0xA1, 0x61, 'a', 0x1B, 0, 0, 0, 0, 0, 0, 0, 1};   /* 8-byte integer */
    static const uint8_t floatval[] = {0xA1, 0x61, 'a', 0xF9, 0x3C, 0x00};   /* half float */
    static const uint8_t trailing[] = {0xA0, 0x00};                           /* {} then a byte */
    static const uint8_t hugestr[] = {0xA1, 0x61, 'a', 0x5A, 0xFF, 0xFF, 0xFF, 0xFF};   /* bstr past the end */
    static const uint8_t notmap[] = {0x81, 0x01};
    const uint8_t *bad[] = {nested, indefinite, intkey, longarg, floatval, trailing, hugestr, notmap};
    size_t badlen[] = {sizeof nested, sizeof indefinite, sizeof intkey, sizeof longarg, sizeof floatval,
                       sizeof trailing, sizeof hugestr, sizeof notmap};
    for (int i = 0; i < 8; i++) {
        struct seen t = {0, 0, 0, 0, 0};
        CHECK(cbor_read_map(bad[i], badlen[i], entry, &t) == -1);
    }
    cbor_writer_init(&w, buf, 4);
    cbor_put_tstr(&w, "too long for four bytes");
    CHECK(w.overflow && w.len == 1);
    CHECK(cbor_key_is((const uint8_t *)"off", 3, "off") && !cbor_key_is((const uint8_t *)"of", 2, "off") &&
          !cbor_key_is((const uint8_t *)"offs", 4, "off"));
    printf("ok - cbor\n");
}

static const struct smp_command commands[] = {
    {SMP_GROUP_OS, SMP_OS_ECHO, SMP_OP_WRITE, smp_os_echo},
    {SMP_GROUP_OS, SMP_OS_PARAMS, SMP_OP_READ, smp_os_params},
};

static void put_hex(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
}

static uint8_t text[1 << 16];
static uint32_t text_len;

static void flush_text(void)
{
    if (text_len) {
        printf("TEXT ");
        put_hex(text, text_len);
        printf("\n");
        text_len = 0;
    }
}

static void out_line(void *ctx, const uint8_t *p, uint32_t n)
{
    (void)ctx;
    printf("OUT ");
    put_hex(p, n);
    printf("\n");
}

static int serve(void)
{
    static struct smp_link link;
    static uint8_t rsp[SMP_BUF_SIZE];
    smp_link_init(&link);
    int c;
    while ((c = getchar()) != EOF) {
        enum smp_link_event ev = smp_link_feed(&link, (uint8_t)c);
        if (ev == SMP_LINK_TEXT) {
            for (uint8_t i = 0; i < link.text_len && text_len < sizeof text; i++) {
                text[text_len++] = link.text[i];
            }
        } else if (ev == SMP_LINK_PACKET) {
            flush_text();
            uint32_t len;
            const uint8_t *msg = smp_link_message(&link, &len);
            printf("REQ ");
            put_hex(msg, len);
            printf("\n");
            uint32_t n = smp_dispatch(commands, 2, 0, msg, len, rsp, sizeof rsp);
            if (n) {
                smp_send(rsp, n, out_line, 0);
            }
        }
    }
    flush_text();
    printf("DROPPED %u\n", (unsigned)link.dropped);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "serve") == 0) {
        return serve();
    }
    t_base64();
    t_crc16();
    t_cbor();
    return failures ? 1 : 0;
}
