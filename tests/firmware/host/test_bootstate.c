/* Host tests of the demo firmware's hardware-free core (journal, boot
 * decision, image validation, update engine, SHA-256, CRC-32, command lines)
 * against a strict simulated flash with power cuts at every operation.
 *
 *   hosttest list                     names of the test cases
 *   hosttest run [NAME...]            run all or some; "ok - NAME" / "not ok - NAME"
 *   hosttest validate FILE BASE FLOOR [LIMIT]
 *                                     validate a signed image as if it sat in the slot at BASE
 *                                     (LIMIT: most bytes it may span, as FINISH checks)
 *   hosttest sha256 FILE | crc32 FILE hashes, for cross-checks with Python
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootflow.h"
#include "crc32.h"
#include "image.h"
#include "journal.h"
#include "linebuf.h"
#include "ota.h"
#include "report.h"
#include "sha256.h"
#include "hostsig.h"
#include "simflash.h"
#include "strfmt.h"

static int case_failures;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            printf("  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);             \
            case_failures++;                                                     \
        }                                                                        \
    } while (0)

#define CHECK_EQ(a, b)                                                           \
    do {                                                                         \
        long long va_ = (long long)(a), vb_ = (long long)(b);                    \
        if (va_ != vb_) {                                                        \
            printf("  FAIL %s:%d: %s == %s (%lld != %lld)\n", __FILE__, __LINE__, \
                   #a, #b, va_, vb_);                                            \
            case_failures++;                                                     \
        }                                                                        \
    } while (0)

#define CHECK_STR(a, b)                                                          \
    do {                                                                         \
        if (strcmp((a), (b)) != 0) {                                             \
            printf("  FAIL %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, (a), (b)); \
            case_failures++;                                                     \
        }                                                                        \
    } while (0)

static struct simflash sim;

#define VER(a, b, c) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c))

/* ---------------------------------------------------------------- images */

enum img_fault {
    F_NONE,
    F_MAGIC,
    F_NO_ROM_FIXED,
    F_LOADADDR,
    F_HASH,            /* payload changed after signing */
    F_EXTRA_TLV,       /* unknown unprotected TLV */
    F_NO_SIG,          /* no signature TLV */
    F_BAD_SIG,         /* a signature, but not of this image */
    F_OTHER_KEY,       /* the key hash of another key */
    F_UNPROT_SEC_CNT,  /* a second SEC_CNT, in the unprotected area: ignored */
    F_NO_SEC_CNT,
    F_IMG_SIZE,        /* ih_img_size larger than the slot */
    F_VECTORS,         /* reset vector outside the image */
    F_HDR_SIZE,
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* Builds an MCUboot image the way `imgtool sign --key` lays it out (SEC_CNT
 * protected; SHA256, KEYHASH and the signature unprotected), signed with the
 * host tests' stand-in scheme (hostsig.c). Returns its length; digest
 * prefix in *digest. */
static uint32_t build_image(uint8_t *out, uint32_t base, uint32_t version, uint32_t sec,
                            uint32_t payload_len, enum img_fault fault, uint32_t *digest)
{
    uint32_t hdr = IMAGE_HEADER_SIZE;
    uint32_t prot = fault == F_NO_SEC_CNT ? 0 : 12;
    memset(out, 0, hdr);
    put32(out + 0, fault == F_MAGIC ? 0x12345678u : IMAGE_MAGIC);
    put32(out + 4, fault == F_LOADADDR ? base ^ 0x98000u : base);
    put16(out + 8, (uint16_t)(fault == F_HDR_SIZE ? 0x100 : hdr));
    put16(out + 10, (uint16_t)prot);
    put32(out + 12, fault == F_IMG_SIZE ? SLOT_SIZE : payload_len);
    put32(out + 16, fault == F_NO_ROM_FIXED ? 0 : IMAGE_F_ROM_FIXED);
    out[20] = (uint8_t)(version >> 24);
    out[21] = (uint8_t)(version >> 16);
    put16(out + 22, (uint16_t)version);

    uint8_t *pl = out + hdr;
    uint32_t x = version * 2654435761u + sec + payload_len;
    for (uint32_t i = 0; i < payload_len; i++) {
        x = x * 1103515245u + 12345u;
        pl[i] = (uint8_t)(x >> 16);
    }
    put32(pl, 0x2003FF00u);                                   /* initial SP */
    uint32_t reset = fault == F_VECTORS ? 0x00001001u : base + hdr + 0x41u;
    put32(pl + 4, reset);

    uint32_t at = hdr + payload_len;
    if (prot) {
        put16(out + at, IMAGE_TLV_PROT_MAGIC);
        put16(out + at + 2, (uint16_t)prot);
        put16(out + at + 4, IMAGE_TLV_SEC_CNT);
        put16(out + at + 6, 4);
        put32(out + at + 8, sec);
        at += prot;
    }
    struct sha256 s;
    uint8_t sha[32];
    sha256_init(&s);
    sha256_update(&s, out, at);
    sha256_final(&s, sha);
    uint32_t unprot = 4;
    put16(out + at, IMAGE_TLV_INFO_MAGIC);
    put16(out + at + unprot, IMAGE_TLV_SHA256);
    put16(out + at + unprot + 2, 32);
    memcpy(out + at + unprot + 4, sha, 32);
    unprot += 36;
    if (fault != F_NO_SIG) {
        uint8_t kh[IMAGE_KEYHASH_SIZE], sig[IMAGE_SIG_SIZE];
        host_keyhash(kh);
        kh[0] ^= fault == F_OTHER_KEY ? 1 : 0;
        host_signature(sha, sig);
        sig[5] ^= fault == F_BAD_SIG ? 0x10 : 0;
        put16(out + at + unprot, IMAGE_TLV_KEYHASH);
        put16(out + at + unprot + 2, IMAGE_KEYHASH_SIZE);
        memcpy(out + at + unprot + 4, kh, IMAGE_KEYHASH_SIZE);
        unprot += 4 + IMAGE_KEYHASH_SIZE;
        put16(out + at + unprot, IMAGE_TLV_ED25519);
        put16(out + at + unprot + 2, IMAGE_SIG_SIZE);
        memcpy(out + at + unprot + 4, sig, IMAGE_SIG_SIZE);
        unprot += 4 + IMAGE_SIG_SIZE;
    }
    if (fault == F_EXTRA_TLV || fault == F_UNPROT_SEC_CNT) {
        /* 0x7f is on no allow-list; an unprotected SEC_CNT is skipped */
        put16(out + at + unprot, fault == F_EXTRA_TLV ? 0x7f : IMAGE_TLV_SEC_CNT);
        put16(out + at + unprot + 2, 4);
        put32(out + at + unprot + 4, 0xFFFF);
        unprot += 8;
    }
    put16(out + at + 2, (uint16_t)unprot);
    at += unprot;
    if (fault == F_HASH) {
        pl[100] ^= 0x01;
    }
    if (digest) {
        *digest = digest_prefix(sha);
    }
    return at;
}

static uint8_t imgbuf[SLOT_SIZE];

/* Factory-programs an image into a slot (erased first). */
static uint32_t put_image(int slot, uint32_t version, uint32_t sec, enum img_fault fault)
{
    uint32_t digest;
    uint32_t base = slot_base(slot);
    memset(sim.mem + base, 0xFF, SLOT_SIZE);
    memset(sim.programmed + base / FLASH_UNIT, 0, SLOT_SIZE / FLASH_UNIT);
    uint32_t len = build_image(imgbuf, base, version, sec, 3000 + (version >> 24) * 8, fault, &digest);
    sim_put(&sim, base, imgbuf, len);
    return digest;
}

/* --------------------------------------------------------------- helpers */

static struct journal jr;

static void fresh(void)
{
    sim_init(&sim);
}

static void append(struct jrec *r)
{
    CHECK_EQ(journal_append(&jr, r), 0);
}

/* A record {A CONFIRMED v1 sec1, B <state> v2 sec, preferred B, floor}. */
static void setup_a_confirmed_b(uint8_t b_state, uint32_t b_sec, uint32_t floor, uint32_t b_digest)
{
    uint32_t da = put_image(SLOT_A, VER(1, 0, 0), 1, F_NONE);
    journal_load(&jr, sim_ops(&sim));
    struct jrec r;
    journal_template(&jr, &r);
    r.preferred = b_state == ST_EMPTY ? SLOT_A : SLOT_B;
    r.floor = floor;
    r.slot[SLOT_A] = (struct slot_rec){ ST_CONFIRMED, TRIES_DEFAULT, 1, VER(1, 0, 0), da };
    r.slot[SLOT_B] = (struct slot_rec){ b_state, TRIES_DEFAULT, b_sec, VER(2, 0, 0), b_digest };
    r.reason = RS_UPDATE;
    append(&r);
}

static void boot(struct boot_result *br)
{
    memset(br, 0, sizeof *br);
    boot_decide(&jr, sim_ops(&sim), br);
}

/* ----------------------------------------------------------- primitives */

static void hex(const uint8_t *p, int n, char *out)
{
    for (int i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", p[i]);
    }
}

static void sha_hex(const void *data, size_t len, size_t step, char *out)
{
    struct sha256 s;
    uint8_t d[32];
    sha256_init(&s);
    const uint8_t *p = data;
    while (len) {
        size_t n = len < step ? len : step;
        sha256_update(&s, p, n);
        p += n;
        len -= n;
    }
    sha256_final(&s, d);
    hex(d, 32, out);
}

static void t_sha256_vectors(void)
{
    /* FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf") */
    char h[65];
    sha_hex("", 0, 1, h);
    CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha_hex("abc", 3, 1, h);
    CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha_hex(m448, strlen(m448), 7, h);
    CHECK_STR(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    static uint8_t million[1000000];
    memset(million, 'a', sizeof million);
    sha_hex(million, sizeof million, 1000, h);
    CHECK_STR(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    char h2[65];
    for (size_t len = 50; len < 140; len++) {   /* padding boundaries, odd chunking */
        sha_hex(million, len, 1, h);
        sha_hex(million, len, 64, h2);
        CHECK_STR(h, h2);
    }
}

static void t_crc32_check(void)
{
    CHECK_EQ(crc32_update(0, "123456789", 9), 0xCBF43926u);
    CHECK_EQ(crc32_update(0, "", 0), 0);
    uint32_t c = crc32_update(0, "1234", 4);
    CHECK_EQ(crc32_update(c, "56789", 5), 0xCBF43926u);
}

/* --------------------------------------------------------------- journal */

static void t_record_layout(void)
{
    struct jrec r = { 0 };
    uint8_t b[64];
    r.seq = 7;
    r.preferred = 1;
    r.reason = RS_TRIES_EXHAUSTED;
    r.floor = 2;
    r.slot[0] = (struct slot_rec){ ST_CONFIRMED, 3, 1, VER(1, 0, 0), 0xAABBCCDDu };
    r.slot[1] = (struct slot_rec){ ST_BAD, 0, 2, VER(2, 1, 3), 0x01020304u };
    jrec_encode(&r, b);
    const uint8_t expect_head[16] = { 'J', 'R', 'N', 'L', 7, 0, 0, 0, 1, 1, 0xFF, 0xFF, 2, 0, 0, 0 };
    CHECK(memcmp(b, expect_head, 16) == 0);
    CHECK_EQ(b[16], ST_CONFIRMED);
    CHECK_EQ(b[17], 3);
    CHECK_EQ(b[18] & b[19], 0xFF);
    CHECK_EQ(b[40] | b[41] << 8 | b[42] << 16 | (uint32_t)b[43] << 24, VER(2, 1, 3));
    CHECK_EQ(b[44] | b[45] << 8 | b[46] << 16 | (uint32_t)b[47] << 24, 0x01020304u);
    for (int i = 52; i < 60; i++) {
        CHECK_EQ(b[i], 0xFF);
    }
    CHECK_EQ(b[60] | b[61] << 8 | b[62] << 16 | (uint32_t)b[63] << 24, crc32_update(0, b, 60));
    struct jrec d;
    CHECK_EQ(jrec_decode(b, &d), 0);
    CHECK_EQ(d.slot[1].version, VER(2, 1, 3));
    b[20] ^= 1;
    CHECK_EQ(jrec_decode(b, &d), -1);
}

static void t_factory_state(void)
{
    fresh();
    uint32_t da = put_image(SLOT_A, VER(1, 0, 0), 1, F_NONE);
    put_image(SLOT_B, VER(2, 0, 0), 2, F_NONE);
    struct boot_result br;
    boot(&br);
    CHECK_EQ(br.slot, SLOT_A);
    CHECK_EQ(br.state, ST_CONFIRMED);
    CHECK_EQ(br.seq, 1);
    CHECK_EQ(br.floor, 1);
    CHECK_STR(br.rollback, "NONE");
    CHECK(jr.have_latest);
    CHECK_EQ(jr.latest_sector, 0);
    CHECK_EQ(jr.latest_index, 0);
    CHECK_EQ(jr.latest.preferred, SLOT_A);
    CHECK_EQ(jr.latest.slot[SLOT_A].digest, da);
    CHECK_EQ(jr.latest.slot[SLOT_A].version, VER(1, 0, 0));
    CHECK_EQ(jr.latest.slot[SLOT_B].state, ST_EMPTY);
    CHECK_EQ(sim.writes, 8);     /* one record, unit by unit */
    boot(&br);                   /* second boot: nothing more to write */
    CHECK_EQ(br.slot, SLOT_A);
    CHECK_EQ(br.seq, 1);
    CHECK_EQ(sim.writes, 8);

    char line[200];
    struct strfmt sf;
    sf_init(&sf, line, sizeof line);
    report_boot_line(&sf, &br, RC_POWER_ON);
    CHECK_STR(line, "BOOT slot=A version=1.0.0 state=CONFIRMED tries=3 floor=1 seq=1 reset=POWER_ON rollback=NONE");
    sf_init(&sf, line, sizeof line);
    report_info(&sf, &jr, SLOT_A, VER(1, 0, 0), RC_POWER_ON);
    CHECK_STR(line, "info slot=A version=1.0.0 state=CONFIRMED floor=1 seq=1 "
                    "A=CONFIRMED,1.0.0,sec=1,tries=3 B=EMPTY,0.0.0,sec=0,tries=0 reset=POWER_ON");
}

static void t_factory_first_valid_slot(void)
{
    fresh();
    put_image(SLOT_A, VER(1, 0, 0), 1, F_HASH);
    put_image(SLOT_B, VER(2, 0, 0), 2, F_NONE);
    struct boot_result br;
    boot(&br);
    CHECK_EQ(br.slot, SLOT_B);
    CHECK_EQ(br.floor, 2);
    CHECK_EQ(jr.latest.preferred, SLOT_B);
    CHECK_EQ(jr.latest.slot[SLOT_A].state, ST_EMPTY);
    CHECK_EQ(jr.latest.slot[SLOT_B].state, ST_CONFIRMED);
}

static void t_factory_no_image_recovery(void)
{
    fresh();
    put_image(SLOT_A, VER(1, 0, 0), 1, F_MAGIC);
    struct boot_result br;
    boot(&br);
    CHECK_EQ(br.slot, -1);
    CHECK_STR(br.rollback, "NO_VALID_IMAGE");
    CHECK_EQ(sim.ops, 0);
    char line[200];
    struct strfmt sf;
    sf_init(&sf, line, sizeof line);
    report_boot_line(&sf, &br, RC_WATCHDOG);
    CHECK_STR(line, "BOOT slot=- version=- state=RECOVERY tries=0 floor=0 seq=0 reset=WATCHDOG rollback=NO_VALID_IMAGE");
}

static void t_append_and_sector_switch(void)
{
    fresh();
    journal_load(&jr, sim_ops(&sim));
    for (uint32_t n = 1; n <= 200; n++) {
        struct jrec r;
        journal_template(&jr, &r);
        r.floor = n;
        append(&r);
        CHECK_EQ(r.seq, n);
        struct journal j2;
        journal_load(&j2, sim_ops(&sim));
        CHECK(j2.have_latest);
        CHECK_EQ(j2.latest.seq, n);
        CHECK_EQ(j2.latest.floor, n);
        /* records 1..64 in sector 0, 65..128 in sector 1, 129..192 in 0 ... */
        CHECK_EQ(j2.latest_sector, (int)(((n - 1) / 64) % 2));
        CHECK_EQ(j2.latest_index, (int)((n - 1) % 64));
        if (n == 65) {
            CHECK_EQ(sim.erases, 1);
        }
    }
    CHECK_EQ(sim.erases, 3);     /* at records 65, 129 and 193 */
    CHECK_EQ(sim.writes, 200 * 8);
}

/* Writes raw record bytes into the next journal slot of sector 0. */
static void raw_record(int index, const uint8_t *b, int units)
{
    for (int u = 0; u < units; u++) {
        CHECK_EQ(sim_ops(&sim)->write(&sim, JOURNAL0_BASE + (uint32_t)index * 64 + (uint32_t)u * 8,
                                      b + u * 8, 8), 0);
    }
}

static void t_torn_and_invalid_records_skipped(void)
{
    fresh();
    journal_load(&jr, sim_ops(&sim));
    struct jrec r;
    for (int i = 0; i < 3; i++) {
        journal_template(&jr, &r);
        r.floor = 10 + (uint32_t)i;
        append(&r);
    }
    uint8_t b[64];
    journal_template(&jr, &r);
    r.seq = 4;
    r.floor = 99;
    jrec_encode(&r, b);
    raw_record(3, b, 7);                     /* torn: the CRC unit never written */
    r.seq = 5;
    jrec_encode(&r, b);
    b[30] ^= 0x10;                           /* bit error: CRC mismatch */
    raw_record(4, b, 8);
    r.seq = JREC_SEQ_ERASED;                 /* erased seq with a valid CRC */
    jrec_encode(&r, b);
    raw_record(5, b, 8);
    memset(b, 0x00, sizeof b);               /* garbage */
    raw_record(6, b, 1);

    journal_load(&jr, sim_ops(&sim));
    CHECK(jr.have_latest);
    CHECK_EQ(jr.latest.seq, 3);
    CHECK_EQ(jr.latest.floor, 12);
    CHECK_EQ(jr.last_used[0], 6);
    journal_template(&jr, &r);
    append(&r);                              /* never reprograms a used slot */
    CHECK_EQ(r.seq, 4);
    CHECK_EQ(jr.latest_index, 7);
    CHECK_EQ(sim.violations, 0);
}

static void t_full_sector_of_garbage(void)
{
    /* No valid record at all and sector 0 full of garbage: the first record
     * goes to sector 1. */
    fresh();
    uint8_t b[64];
    memset(b, 0x5A, sizeof b);
    for (int i = 0; i < 64; i++) {
        raw_record(i, b, 8);
    }
    put_image(SLOT_A, VER(1, 0, 0), 1, F_NONE);
    struct boot_result br;
    boot(&br);
    CHECK_EQ(br.slot, SLOT_A);
    CHECK_EQ(jr.latest_sector, 1);
    CHECK_EQ(jr.latest.seq, 1);
    CHECK_EQ(sim.violations, 0);
}

/* --------------------------------------------------------- boot decision */

static void t_tries_decrement_and_rollback(void)
{
    fresh();
    uint32_t db = put_image(SLOT_B, VER(2, 0, 0), 2, F_NONE);
    setup_a_confirmed_b(ST_PENDING, 2, 1, db);
    struct boot_result br;
    for (int k = 2; k >= 0; k--) {
        boot(&br);
        CHECK_EQ(br.slot, SLOT_B);
        CHECK_EQ(br.state, ST_PENDING);
        CHECK_EQ(br.tries, k);
        CHECK_EQ(br.floor, 1);
        CHECK_STR(br.rollback, "NONE");
    }
    boot(&br);
    CHECK_EQ(br.slot, SLOT_A);
    CHECK_EQ(br.state, ST_CONFIRMED);
    CHECK_STR(br.rollback, "TRIES_EXHAUSTED");
    CHECK_EQ(jr.latest.slot[SLOT_B].state, ST_BAD);
    CHECK_EQ(jr.latest.preferred, SLOT_A);
    CHECK_EQ(jr.latest.reason, RS_TRIES_EXHAUSTED);
    CHECK_EQ(jr.latest.floor, 1);
    CHECK_EQ(br.seq, 5);     /* 1 setup + 3 decrements + 1 BAD */
    long writes = sim.writes;
    boot(&br);               /* stays rolled back, writes nothing */
    CHECK_EQ(br.slot, SLOT_A);
    CHECK_STR(br.rollback, "TRIES_EXHAUSTED");
    CHECK_EQ(sim.writes, writes);
}

static void t_floor_raised_only_on_confirm(void)
{
    fresh();
    uint32_t db = put_image(SLOT_B, VER(2, 0, 0), 3, F_NONE);
    setup_a_confirmed_b(ST_PENDING, 3, 1, db);
    struct boot_result br;
    boot(&br);
    boot(&br);
    CHECK_EQ(br.slot, SLOT_B);
    CHECK_EQ(br.floor, 1);               /* a trial never raises the floor */
    uint32_t seq = 0;
    CHECK_EQ(bs_confirm(&jr, sim_ops(&sim), SLOT_B, 3, &seq), 0);
    CHECK_EQ(seq, 4);
    CHECK_EQ(jr.latest.floor, 3);
    CHECK_EQ(jr.latest.reason, RS_CONFIRM);
    CHECK_EQ(jr.latest.slot[SLOT_B].state, ST_CONFIRMED);
    CHECK_EQ(jr.latest.preferred, SLOT_B);
    long writes = sim.writes;
    CHECK_EQ(bs_confirm(&jr, sim_ops(&sim), SLOT_B, 3, &seq), 0);   /* already confirmed */
    CHECK_EQ(seq, 4);
    CHECK_EQ(sim.writes, writes);
    boot(&br);
    CHECK_EQ(br.slot, SLOT_B);
    CHECK_EQ(br.state, ST_CONFIRMED);
    CHECK_EQ(br.floor, 3);
    /* The fallback A (sec 1) is now below the floor: it would be rejected. */
    struct img_info info;
    CHECK_EQ(image_validate(sim_ops(&sim), SLOT_A_BASE, SLOT_SIZE, 3, 0, &info), IMG_E_ROLLBACK);
}

static void t_permanent_activation_raises_floor_at_boot(void)
{
    fresh();
    uint32_t db = put_image(SLOT_B, VER(2, 0, 0), 2, F_NONE);
    setup_a_confirmed_b(ST_CONFIRMED, 2, 1, db);
    CHECK_EQ(jr.latest.floor, 1);
    struct boot_result br;
    boot(&br);
    CHECK_EQ(br.slot, SLOT_B);
    CHECK_EQ(br.state, ST_CONFIRMED);
    CHECK_EQ(br.floor, 2);
    CHECK_EQ(br.seq, 2);
}

static void t_sec_cnt_below_floor_rejected(void)
{
    fresh();
    uint32_t db = put_image(SLOT_B, VER(0, 9, 0), 0, F_NONE);
    setup_a_confirmed_b(ST_PENDING, 0, 1, db);
    struct boot_result br;
    boot(&br);
    CHECK_EQ(br.slot, SLOT_A);
    CHECK_STR(br.rollback, "INVALID");
    CHECK_EQ(jr.latest.slot[SLOT_B].state, ST_BAD);
    CHECK_EQ(jr.latest.reason, RS_INVALID);
    struct img_info info;
    CHECK_EQ(image_validate(sim_ops(&sim), SLOT_B_BASE, SLOT_SIZE, 1, 0, &info), IMG_E_ROLLBACK);
    CHECK_EQ(image_validate(sim_ops(&sim), SLOT_B_BASE, SLOT_SIZE, 0, 0, &info), IMG_OK);

    /* The only image, below the floor: never runs (recovery). */
    fresh();
    journal_load(&jr, sim_ops(&sim));
    db = put_image(SLOT_A, VER(0, 9, 0), 0, F_NONE);
    struct jrec r;
    journal_template(&jr, &r);
    r.floor = 1;
    r.slot[SLOT_A] = (struct slot_rec){ ST_CONFIRMED, 3, 0, VER(0, 9, 0), db };
    append(&r);
    boot(&br);
    CHECK_EQ(br.slot, -1);
    CHECK_EQ(br.floor, 1);
}

static void t_invalid_pending_marked_bad(void)
{
    fresh();
    uint32_t db = put_image(SLOT_B, VER(2, 0, 0), 2, F_NONE);
    setup_a_confirmed_b(ST_PENDING, 2, 1, db);
    sim.mem[SLOT_B_BASE + 0x300] ^= 0x80;     /* bit rot in the payload */
    struct boot_result br;
    boot(&br);
    CHECK_EQ(br.slot, SLOT_A);
    CHECK_STR(br.rollback, "INVALID");
    CHECK_EQ(jr.latest.slot[SLOT_B].state, ST_BAD);
    CHECK_EQ(jr.latest.preferred, SLOT_B);    /* as in the pseudocode: only the state changes */
    boot(&br);
    CHECK_EQ(br.slot, SLOT_A);

    /* A valid image that is not the one the journal recorded is refused. */
    fresh();
    put_image(SLOT_B, VER(2, 0, 0), 2, F_NONE);
    setup_a_confirmed_b(ST_PENDING, 2, 1, 0xDEADBEEFu);
    boot(&br);
    CHECK_EQ(br.slot, SLOT_A);
    CHECK_EQ(jr.latest.slot[SLOT_B].state, ST_BAD);
}

static void t_mark_bad_rolls_back(void)
{
    fresh();
    uint32_t db = put_image(SLOT_B, VER(2, 0, 0), 2, F_NONE);
    setup_a_confirmed_b(ST_PENDING, 2, 1, db);
    struct boot_result br;
    boot(&br);
    CHECK_EQ(br.slot, SLOT_B);
    CHECK_EQ(bs_mark_bad(&jr, sim_ops(&sim), SLOT_B), 0);
    CHECK_EQ(jr.latest.reason, RS_MARK_BAD);
    boot(&br);
    CHECK_EQ(br.slot, SLOT_A);
    CHECK_STR(br.rollback, "MARK_BAD");
    uint32_t seq;
    CHECK_EQ(bs_confirm(&jr, sim_ops(&sim), SLOT_B, 2, &seq), -2);   /* BAD cannot be confirmed */
}

static void t_image_validation_errors(void)
{
    static const struct {
        enum img_fault fault;
        enum img_result expect;
    } cases[] = {
        { F_NONE, IMG_OK },
        { F_MAGIC, IMG_E_MAGIC },
        { F_NO_ROM_FIXED, IMG_E_LOADADDR },
        { F_LOADADDR, IMG_E_LOADADDR },
        { F_HASH, IMG_E_HASH },
        { F_NO_SIG, IMG_E_SIG },
        { F_BAD_SIG, IMG_E_SIG },
        { F_OTHER_KEY, IMG_E_KEY },
        { F_UNPROT_SEC_CNT, IMG_OK },
        { F_EXTRA_TLV, IMG_E_TLV },
        { F_NO_SEC_CNT, IMG_E_TLV },
        { F_IMG_SIZE, IMG_E_SIZE },
        { F_VECTORS, IMG_E_LOADADDR },
        { F_HDR_SIZE, IMG_E_SIZE },
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fresh();
        put_image(SLOT_B, VER(2, 0, 0), 2, cases[i].fault);
        struct img_info info;
        enum img_result r = image_validate(sim_ops(&sim), SLOT_B_BASE, SLOT_SIZE, 0, 0, &info);
        if (r != cases[i].expect) {
            printf("  fault %d: got %s\n", cases[i].fault, img_result_name(r));
        }
        CHECK_EQ(r, cases[i].expect);
    }
    /* An image built for slot A does not validate in slot B. */
    fresh();
    uint32_t len = build_image(imgbuf, SLOT_A_BASE, VER(1, 0, 0), 1, 2000, F_NONE, 0);
    sim_put(&sim, SLOT_B_BASE, imgbuf, len);
    struct img_info info;
    CHECK_EQ(image_validate(sim_ops(&sim), SLOT_B_BASE, SLOT_SIZE, 0, 0, &info), IMG_E_LOADADDR);
    /* Announced size smaller than the image. */
    sim_init(&sim);
    len = build_image(imgbuf, SLOT_B_BASE, VER(1, 0, 0), 1, 2000, F_NONE, 0);
    sim_put(&sim, SLOT_B_BASE, imgbuf, len);
    CHECK_EQ(image_validate(sim_ops(&sim), SLOT_B_BASE, len, 0, 0, &info), IMG_OK);
    CHECK_EQ(image_validate(sim_ops(&sim), SLOT_B_BASE, len - 1, 0, 0, &info), IMG_E_SIZE);
    CHECK_EQ(info.version, VER(1, 0, 0));
}

/* --------------------------------------------------------- update engine */

static struct ota ota;

/* "OK" or "<code> <detail>" of a step, as SMP's "rsn" carries a refusal. */
static const char *said(struct ota_status st)
{
    static char line[96];
    if (!st.code) {
        return "OK";
    }
    snprintf(line, sizeof line, "%s %s", st.code, st.detail ? st.detail : "");
    return line;
}

/* One chunk through ota_data, from a copy with the 7 bytes of room the
 * last chunk's in-place padding needs (the caller's image stays as it is). */
static const char *send_data(uint32_t off, const uint8_t *p, uint32_t len)
{
    static uint8_t chunk[1024 + 8];
    memcpy(chunk, p, len);
    return said(ota_data(&ota, off, chunk, len));
}

static void file_digest(const uint8_t *image, uint32_t len, uint8_t *out)
{
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, image, len);
    sha256_final(&s, out);
}

/* BEGIN .. ACTIVATE of image[0..len) into the target in 512-byte chunks;
 * returns the first refusal, else "OK". */
static const char *ota_update(const uint8_t *image, uint32_t len, uint8_t mode)
{
    uint8_t digest[SHA256_DIGEST_SIZE];
    file_digest(image, len, digest);
    const char *r = said(ota_begin(&ota, len, digest));
    if (strcmp(r, "OK") != 0) {
        return r;
    }
    for (uint32_t off = 0; off < len; off += 512) {
        r = send_data(off, image + off, len - off < 512 ? len - off : 512);
        if (strcmp(r, "OK") != 0) {
            return r;
        }
    }
    r = said(ota_finish(&ota));
    if (strcmp(r, "OK") != 0) {
        return r;
    }
    return said(ota_activate(&ota, mode));
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static uint8_t upd[SLOT_SIZE];

static void t_ota_engine(void)
{
    fresh();
    put_image(SLOT_A, VER(1, 0, 0), 1, F_NONE);
    struct boot_result br;
    boot(&br);
    ota_init(&ota, sim_ops(&sim), &jr, SLOT_A, SLOT_B);
    uint32_t len = build_image(upd, SLOT_B_BASE, VER(2, 0, 0), 2, 5000, F_NONE, 0);

    CHECK_STR(said(ota_finish(&ota)), "E_STATE no-begin");
    CHECK_STR(said(ota_activate(&ota, 0)), "E_STATE finish-first");
    CHECK_STR(send_data(0, upd, 512), "E_STATE no-begin");
    uint8_t digest[SHA256_DIGEST_SIZE];
    file_digest(upd, len, digest);
    long writes = sim.writes;
    CHECK_STR(said(ota_begin(&ota, len, digest)), "OK");
    CHECK_EQ(sim.writes, writes + 8);               /* the EMPTY record, before any erase */
    CHECK_EQ(jr.latest.slot[SLOT_B].state, ST_EMPTY);
    CHECK_EQ(jr.latest.reason, RS_UPDATE);
    CHECK_EQ(ota.next, 0);
    CHECK_STR(send_data(512, upd + 512, 512), "E_RANGE expected-offset=0");
    CHECK_STR(send_data(0, upd, 512), "OK");
    CHECK_EQ(ota.next, 512);
    writes = sim.writes;
    CHECK_STR(send_data(0, upd, 512), "OK");         /* resend: compared, not written */
    CHECK_EQ(sim.writes, writes);
    CHECK_EQ(ota.next, 512);
    uint8_t other[512];
    memcpy(other, upd, sizeof other);
    other[100] ^= 1;
    CHECK_STR(send_data(0, other, 512), "E_RANGE differs-from-written-data");
    CHECK_STR(send_data(4, upd + 4, 8), "E_ALIGN offset-or-length-not-multiple-of-8");
    CHECK_STR(send_data(512, upd + 512, 12), "E_ALIGN offset-or-length-not-multiple-of-8");
    CHECK_STR(send_data(len - 8, upd + len - 8, 16), "E_RANGE outside-image");
    for (uint32_t off = 512; off < 4608; off += 512) {
        CHECK_STR(send_data(off, upd + off, 512), "OK");
    }
    /* Same BEGIN again: progress kept, nothing written. */
    writes = sim.writes;
    CHECK_STR(said(ota_begin(&ota, len, digest)), "OK");
    CHECK_EQ(sim.writes, writes);
    CHECK_EQ(ota.next, 4608);
    CHECK_STR(said(ota_finish(&ota)), "E_STATE image-incomplete");
    for (uint32_t off = 4608; off < len; off += 512) {
        CHECK_STR(send_data(off, upd + off, len - off < 512 ? len - off : 512), "OK");
    }
    CHECK_EQ(ota.next, len);
    CHECK_STR(said(ota_finish(&ota)), "OK");
    CHECK_EQ(ota.fin.version, VER(2, 0, 0));
    CHECK_EQ(ota.fin.sec_cnt, 2);
    CHECK_STR(send_data(0, upd, 512), "E_STATE already-finished");
    CHECK_STR(said(ota_activate(&ota, 0)), "OK");
    CHECK_EQ(jr.latest.seq, 3);
    CHECK_EQ(jr.latest.slot[SLOT_B].state, ST_PENDING);
    CHECK_EQ(jr.latest.floor, 1);
    CHECK_EQ(jr.latest.preferred, SLOT_B);
    CHECK_EQ(jr.latest.slot[SLOT_B].tries, TRIES_DEFAULT);
    /* Done: a second ACTIVATE needs a new upload. */
    CHECK_STR(said(ota_activate(&ota, 0)), "E_STATE finish-first");

    boot(&br);
    CHECK_EQ(br.slot, SLOT_B);
    CHECK_EQ(br.tries, 2);
    CHECK_EQ(sim.violations, 0);

    /* A different file announced restarts from 0 with the slot invalidated. */
    fresh();
    put_image(SLOT_A, VER(1, 0, 0), 1, F_NONE);
    boot(&br);
    ota_init(&ota, sim_ops(&sim), &jr, SLOT_A, SLOT_B);
    CHECK_STR(said(ota_begin(&ota, len, digest)), "OK");
    CHECK_STR(send_data(0, upd, 512), "OK");
    digest[0] ^= 1;
    CHECK_STR(said(ota_begin(&ota, len, digest)), "OK");
    CHECK_EQ(ota.next, 0);
    CHECK_EQ(jr.latest.slot[SLOT_B].state, ST_EMPTY);
    /* ... and a file that is not the one announced fails FINISH. */
    for (uint32_t off = 0; off < len; off += 512) {
        CHECK_STR(send_data(off, upd + off, len - off < 512 ? len - off : 512), "OK");
    }
    CHECK_STR(said(ota_finish(&ota)), "E_HASH file-digest-differs-from-begin");
    CHECK_EQ(sim.violations, 0);
}

static void t_ota_rejections(void)
{
    static const struct {
        uint32_t base;
        uint32_t version, sec;
        enum img_fault fault;
        const char *code;
    } cases[] = {
        { SLOT_B_BASE, VER(0, 9, 0), 0, F_NONE, "E_ROLLBACK " },
        { SLOT_A_BASE, VER(2, 0, 0), 2, F_NONE, "E_LOADADDR " },
        { SLOT_B_BASE, VER(2, 0, 0), 2, F_HASH, "E_HASH " },
        { SLOT_B_BASE, VER(2, 0, 0), 2, F_MAGIC, "E_MAGIC " },
        { SLOT_B_BASE, VER(2, 0, 0), 2, F_EXTRA_TLV, "E_TLV unknown-unprotected-tlv" },
        { SLOT_B_BASE, VER(2, 0, 0), 2, F_NO_SIG, "E_SIG no-signature" },
        { SLOT_B_BASE, VER(2, 0, 0), 2, F_BAD_SIG, "E_SIG bad-signature" },
        { SLOT_B_BASE, VER(2, 0, 0), 2, F_OTHER_KEY, "E_KEY key-hash-mismatch" },
        { SLOT_B_BASE, VER(0, 9, 0), 0, F_UNPROT_SEC_CNT, "E_ROLLBACK sec-cnt-below-floor" },
        { SLOT_B_BASE, VER(2, 0, 0), 2, F_IMG_SIZE, "E_SIZE " },
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fresh();
        put_image(SLOT_A, VER(1, 0, 0), 1, F_NONE);
        struct boot_result br;
        boot(&br);
        ota_init(&ota, sim_ops(&sim), &jr, SLOT_A, SLOT_B);
        uint32_t len = build_image(upd, cases[i].base, cases[i].version, cases[i].sec, 3000,
                                   cases[i].fault, 0);
        const char *r = ota_update(upd, len, 0);
        if (!starts(r, cases[i].code)) {
            printf("  case %u: %s\n", i, r);
        }
        CHECK(starts(r, cases[i].code));
        /* No ACTIVATE without a successful FINISH. */
        CHECK_STR(said(ota_activate(&ota, 0)), "E_STATE finish-first");
        boot(&br);
        CHECK_EQ(br.slot, SLOT_A);
    }

    /* Updates are refused while the running image is still on trial: the
     * other slot is its fallback. */
    fresh();
    uint32_t db = put_image(SLOT_B, VER(2, 0, 0), 2, F_NONE);
    setup_a_confirmed_b(ST_PENDING, 2, 1, db);
    struct boot_result br;
    boot(&br);
    ota_init(&ota, sim_ops(&sim), &jr, SLOT_B, SLOT_A);
    uint8_t digest[SHA256_DIGEST_SIZE] = { 0 };
    long writes = sim.writes;
    CHECK_STR(said(ota_begin(&ota, 4096, digest)), "E_STATE running-slot-not-confirmed");
    CHECK_EQ(sim.writes, writes);
    ota_init(&ota, sim_ops(&sim), &jr, SLOT_A, SLOT_B);
    CHECK_STR(said(ota_begin(&ota, SLOT_SIZE + 1, digest)), "E_SIZE image-larger-than-slot");
    CHECK_STR(said(ota_begin(&ota, 0, digest)), "E_SIZE empty-image");
}

/* Command lines from an untrusted byte stream (the shell's reader): bytes
 * up to the first event, which the shell handles at once. */
static enum line_result feed_all(struct linebuf *lb, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        enum line_result e = linebuf_feed(lb, p[i]);
        if (e != LINE_NONE) {
            return e;
        }
    }
    return LINE_NONE;
}

static void t_command_lines(void)
{
    static struct linebuf lb;
    linebuf_reset(&lb);
    CHECK_EQ(feed_all(&lb, (const uint8_t *)"info\r\n", 6), LINE_READY);
    CHECK_STR(lb.buf, "info");
    CHECK_EQ(linebuf_feed(&lb, '\n'), LINE_NONE);            /* empty line */
    const uint8_t garbage[] = { 0x1B, '[', 'A', 0xFF, '\n' };
    CHECK_EQ(feed_all(&lb, garbage, sizeof garbage), LINE_BAD);
    for (int i = 0; i < 100; i++) {
        CHECK_EQ(linebuf_feed(&lb, 'x'), LINE_NONE);
    }
    CHECK_EQ(linebuf_feed(&lb, '\n'), LINE_BAD);             /* overlong */
    /* A burst of garbage with NULs costs its own line only; the next
     * command is a command at once, with no idle wait. */
    const uint8_t burst[] = { 'x', 0x00, 0xFF, 0x00, 0x02, 0x00, '\n' };
    CHECK_EQ(feed_all(&lb, burst, sizeof burst), LINE_BAD);
    CHECK_EQ(feed_all(&lb, (const uint8_t *)"version\n", 8), LINE_READY);
    CHECK_STR(lb.buf, "version");
    /* The longest accepted command, and one more byte. */
    char longest[LINEBUF_MAX + 2];
    memset(longest, 'a', LINEBUF_MAX);
    longest[LINEBUF_MAX] = '\n';
    CHECK_EQ(feed_all(&lb, (const uint8_t *)longest, LINEBUF_MAX + 1), LINE_READY);
    CHECK_EQ(strlen(lb.buf), LINEBUF_MAX);
    memset(longest, 'a', LINEBUF_MAX + 1);
    longest[LINEBUF_MAX + 1] = '\n';
    CHECK_EQ(feed_all(&lb, (const uint8_t *)longest, LINEBUF_MAX + 2), LINE_BAD);
}

/* ------------------------------------------------- power cuts at every op */

/* Image v1 in A (factory), then: boot; update B with v2 (test); boot
 * (trial); confirm; boot. Returns through longjmp on a cut. */
static uint32_t flow_len;
static uint8_t upd2[SLOT_SIZE];
/* Set once the app would have replied OK to `confirm` (I11). */
static volatile int confirm_acked;

/* What the app's `confirm` command does with v2 running in slot B: the
 * journal update, the OK reply, and in the B13 build the record after it. */
static int app_confirm(void)
{
    uint32_t cseq;
    int rc = bs_confirm(&jr, sim_ops(&sim), SLOT_B, 2, &cseq);
    if (rc == 0) {
        confirm_acked = 1;      /* the app replies OK here */
    }
#ifdef BUG_B13
    bs_confirm_commit();        /* B13: the record is written after the reply */
#endif
    return rc;
}

static void update_flow(void)
{
    struct boot_result br;
    boot(&br);
    ota_init(&ota, sim_ops(&sim), &jr, br.slot, 1 - br.slot);
    CHECK_STR(ota_update(upd, flow_len, 0), "OK");
    boot(&br);
    CHECK_EQ(br.slot, SLOT_B);
    CHECK_EQ(app_confirm(), 0);
    boot(&br);
    CHECK_EQ(br.slot, SLOT_B);
    CHECK_EQ(br.state, ST_CONFIRMED);
    /* Then a next update starts (it erases slot A): cuts from here on must
     * leave the confirmed v2 running (I11). */
    ota_init(&ota, sim_ops(&sim), &jr, SLOT_B, SLOT_A);
    uint8_t digest[SHA256_DIGEST_SIZE] = { 0 };
    CHECK_STR(said(ota_begin(&ota, flow_len, digest)), "OK");
    for (uint32_t off = 0; off < 8192; off += 512) {
        CHECK_STR(send_data(off, upd2 + off, 512), "OK");
    }
}

static uint8_t initial_mem[FLASH_SIZE];

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The oracle's own reading of the journal as a cut left it, independent of
 * the firmware's reader (which a buggy build may change): the record with
 * magic, CRC and a seq other than 0xFFFFFFFF that has the highest seq. */
static int oracle_latest(struct jrec *out)
{
    int found = 0;
    for (int sec = 0; sec < 2; sec++) {
        for (uint32_t i = 0; i < JREC_PER_SECTOR; i++) {
            const uint8_t *p = sim.mem + journal_sector_base(sec) + i * JREC_SIZE;
            struct jrec r;
            if (rd32(p) != JREC_MAGIC || rd32(p + 60) != crc32_update(0, p, 60) ||
                jrec_decode(p, &r) != 0) {
                continue;
            }
            if (!found || r.seq > out->seq) {
                *out = r;
                found = 1;
            }
        }
    }
    return found;
}

/* I8 from a booted trial: reboot without confirming (on a copy of the
 * flash) until something else runs. The trial may boot PENDING at most as
 * often as the cut state left it tries, then v1 must run with
 * TRIES_EXHAUSTED. */
static uint8_t probe_mem[FLASH_SIZE];
static uint8_t probe_prog[FLASH_SIZE / FLASH_UNIT];

static void check_trial_ends(const struct boot_result *first, int tries_left)
{
    memcpy(probe_mem, sim.mem, FLASH_SIZE);
    memcpy(probe_prog, sim.programmed, sizeof probe_prog);
    struct boot_result pb = *first;
    int pending = 1;
    for (int n = 0; n <= TRIES_DEFAULT + 1 && pb.slot == SLOT_B && pb.state == ST_PENDING; n++) {
        boot(&pb);
        pending += pb.slot == SLOT_B && pb.state == ST_PENDING;
    }
    if (pending > tries_left) {
        printf("  I8: the trial booted PENDING %d times, the cut state left it %d tries\n", pending, tries_left);
    }
    CHECK(pending <= tries_left);
    CHECK_EQ(pb.slot, SLOT_A);
    CHECK_STR(pb.rollback, "TRIES_EXHAUSTED");
    memcpy(sim.mem, probe_mem, FLASH_SIZE);
    memcpy(sim.programmed, probe_prog, sizeof probe_prog);
}

static void run_cut_campaign(enum cut_mode mode)
{
    fresh();
    put_image(SLOT_A, VER(1, 0, 0), 1, F_NONE);
    flow_len = build_image(upd, SLOT_B_BASE, VER(2, 0, 0), 2, 9000, F_NONE, 0);
    build_image(upd2, SLOT_A_BASE, VER(3, 0, 0), 2, 9000, F_NONE, 0);
    memcpy(initial_mem, sim.mem, FLASH_SIZE);
    static uint8_t initial_prog[FLASH_SIZE / FLASH_UNIT];
    memcpy(initial_prog, sim.programmed, sizeof initial_prog);

    /* Count the operations of an uninterrupted run. */
    confirm_acked = 0;
    update_flow();
    long total = sim.ops;
    CHECK(total > 20);
    volatile int confirmed_after = 0;
    volatile uint32_t high_seq = 0;    /* highest seq committed before the cut */

    for (volatile long cut = 1; cut <= total; cut++) {
        memcpy(sim.mem, initial_mem, FLASH_SIZE);
        memcpy(sim.programmed, initial_prog, sizeof initial_prog);
        sim.ops = sim.erases = sim.writes = 0;
        sim.cut_at = cut;
        sim.cut_mode = mode;
        sim.rng = (uint32_t)cut * 2654435761u;
        jmp_buf env;
        sim.on_cut = &env;
        confirm_acked = 0;
        if (setjmp(env) == 0) {
            update_flow();
            CHECK(0);   /* the cut must have happened */
            continue;
        }
        sim.cut_at = 0;
        int before = case_failures;

        /* The journal as the cut left it: once a record was committed there
         * is always a latest valid one (I6), and no PENDING or CONFIRMED
         * slot of it fails validation (I5). */
        struct jrec at_cut;
        int have_cut = oracle_latest(&at_cut);
        CHECK(have_cut || high_seq == 0);
        for (int s = 0; have_cut && s < NUM_SLOTS; s++) {
            uint8_t st = at_cut.slot[s].state;
            if (st == ST_PENDING || st == ST_CONFIRMED) {
                struct img_info info;
                uint32_t d = at_cut.slot[s].digest;
                CHECK_EQ(image_validate(sim_ops(&sim), slot_base(s), SLOT_SIZE, 0, &d, &info), IMG_OK);
            }
        }
        if (have_cut && at_cut.seq > high_seq) {
            high_seq = at_cut.seq;
        }

        /* Power back: something valid must run (I1), old or new (I4). */
        struct boot_result br;
        boot(&br);
        CHECK(br.seq >= high_seq);      /* seq never goes back (I6) */
        CHECK(br.slot == SLOT_A || br.slot == SLOT_B);
        CHECK(jr.have_latest);
        CHECK(br.floor >= 1 && br.floor <= 2);
        if (br.slot == SLOT_B) {
            CHECK_EQ(br.info.version, VER(2, 0, 0));
            CHECK(br.state == ST_PENDING || br.state == ST_CONFIRMED);
            confirmed_after += br.state == ST_CONFIRMED;
        } else {
            CHECK_EQ(br.info.version, VER(1, 0, 0));
            CHECK_EQ(br.state, ST_CONFIRMED);
        }
        /* No PENDING or CONFIRMED slot fails validation (I5). */
        for (int s = 0; s < NUM_SLOTS; s++) {
            uint8_t st = jr.latest.slot[s].state;
            if (st == ST_PENDING || st == ST_CONFIRMED) {
                struct img_info info;
                uint32_t d = jr.latest.slot[s].digest;
                CHECK_EQ(image_validate(sim_ops(&sim), slot_base(s), SLOT_SIZE, 0, &d, &info), IMG_OK);
            }
        }
        if (br.slot == SLOT_B && br.state == ST_PENDING) {
            check_trial_ends(&br, have_cut && at_cut.slot[SLOT_B].state == ST_PENDING ? at_cut.slot[SLOT_B].tries : 0);
        }
        /* An acknowledged confirm survives every later cut (I11). */
        if (confirm_acked) {
            CHECK_EQ(br.slot, SLOT_B);
            CHECK_EQ(br.state, ST_CONFIRMED);
            CHECK_EQ(br.floor, 2);
        }
        /* Retrying the update ends with v2 confirmed (I10). */
        if (br.slot == SLOT_A) {
            ota_init(&ota, sim_ops(&sim), &jr, SLOT_A, SLOT_B);
            CHECK_STR(ota_update(upd, flow_len, 0), "OK");
            boot(&br);
            CHECK_EQ(br.slot, SLOT_B);
        }
        if (br.state != ST_CONFIRMED) {
            CHECK_EQ(app_confirm(), 0);
        }
        boot(&br);
        CHECK_EQ(br.slot, SLOT_B);
        CHECK_EQ(br.state, ST_CONFIRMED);
        CHECK_EQ(br.floor, 2);
        CHECK_EQ(sim.violations, 0);
        if (case_failures != before) {
            printf("  ... after a cut before operation %ld of %ld (%s)\n", cut, total,
                   mode == CUT_TORN ? "torn" : "clean");
            if (sim.violations) {
                printf("  violation: %s\n", sim.violation);
            }
            return;
        }
    }
    CHECK(confirmed_after >= 10);  /* the cuts after the confirm record committed */
}

static void t_power_cut_every_op(void)
{
    run_cut_campaign(CUT_BEFORE);
}

static void t_power_cut_every_op_torn(void)
{
    run_cut_campaign(CUT_TORN);
}

static void t_power_cut_sector_switch(void)
{
    for (volatile int torn = 0; torn < 2; torn++) {
        for (volatile long cut = 1; cut <= 9; cut++) {   /* erase + 8 units */
            fresh();
            journal_load(&jr, sim_ops(&sim));
            struct jrec r;
            for (int i = 0; i < 64; i++) {
                journal_template(&jr, &r);
                r.floor = (uint32_t)i;
                append(&r);
            }
            sim.ops = 0;
            sim.cut_at = cut;
            sim.cut_mode = torn ? CUT_TORN : CUT_BEFORE;
            sim.rng = (uint32_t)cut + 77;
            jmp_buf env;
            sim.on_cut = &env;
            if (setjmp(env) == 0) {
                journal_template(&jr, &r);
                r.floor = 1000;
                append(&r);
                CHECK(0);
                continue;
            }
            sim.cut_at = 0;
            journal_load(&jr, sim_ops(&sim));
            CHECK(jr.have_latest);
            CHECK_EQ(jr.latest.seq, 64);             /* the old record survives */
            CHECK_EQ(jr.latest_sector, 0);
            journal_template(&jr, &r);
            r.floor = 2000;
            append(&r);
            journal_load(&jr, sim_ops(&sim));
            CHECK_EQ(jr.latest.seq, 65);
            CHECK_EQ(jr.latest.floor, 2000);
            CHECK_EQ(jr.latest_sector, 1);
            CHECK_EQ(sim.violations, 0);
        }
    }
}

/* ------------------------------------------------------------ the driver */

struct tcase {
    const char *name;
    void (*fn)(void);
};

static const struct tcase cases[] = {
    { "sha256_vectors", t_sha256_vectors },
    { "crc32_check", t_crc32_check },
    { "record_layout", t_record_layout },
    { "factory_state", t_factory_state },
    { "factory_first_valid_slot", t_factory_first_valid_slot },
    { "factory_no_image_recovery", t_factory_no_image_recovery },
    { "append_and_sector_switch", t_append_and_sector_switch },
    { "torn_and_invalid_records_skipped", t_torn_and_invalid_records_skipped },
    { "full_sector_of_garbage", t_full_sector_of_garbage },
    { "tries_decrement_and_rollback", t_tries_decrement_and_rollback },
    { "floor_raised_only_on_confirm", t_floor_raised_only_on_confirm },
    { "permanent_activation_raises_floor_at_boot", t_permanent_activation_raises_floor_at_boot },
    { "sec_cnt_below_floor_rejected", t_sec_cnt_below_floor_rejected },
    { "invalid_pending_marked_bad", t_invalid_pending_marked_bad },
    { "mark_bad_rolls_back", t_mark_bad_rolls_back },
    { "image_validation_errors", t_image_validation_errors },
    { "ota_engine", t_ota_engine },
    { "ota_rejections", t_ota_rejections },
    { "command_lines", t_command_lines },
    { "power_cut_every_op", t_power_cut_every_op },
    { "power_cut_every_op_torn", t_power_cut_every_op_torn },
    { "power_cut_sector_switch", t_power_cut_sector_switch },
};
#define NCASES (sizeof cases / sizeof cases[0])

static int run_case(const struct tcase *c)
{
    case_failures = 0;
    sim_init(&sim);
    c->fn();
    if (sim.violations) {
        printf("  FAIL flash rule violated: %s\n", sim.violation);
        case_failures++;
    }
    printf("%s - %s\n", case_failures ? "not ok" : "ok", c->name);
    fflush(stdout);
    return case_failures ? 1 : 0;
}

static uint8_t *read_file(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)*len + 1);
    if (!buf || fread(buf, 1, (size_t)*len, f) != (size_t)*len) {
        perror(path);
        exit(2);
    }
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && strcmp(argv[1], "list") == 0) {
        for (unsigned i = 0; i < NCASES; i++) {
            printf("%s\n", cases[i].name);
        }
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "run") == 0) {
        int failed = 0, ran = 0;
        for (unsigned i = 0; i < NCASES; i++) {
            int wanted = argc == 2;
            for (int a = 2; a < argc; a++) {
                wanted |= strcmp(argv[a], cases[i].name) == 0;
            }
            if (wanted) {
                failed += run_case(&cases[i]);
                ran++;
            }
        }
        if (ran == 0) {
            fprintf(stderr, "no such test case\n");
            return 2;
        }
        return failed ? 1 : 0;
    }
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "validate") == 0) {
        long len;
        uint8_t *data = read_file(argv[2], &len);
        uint32_t base = (uint32_t)strtoul(argv[3], 0, 0);
        uint32_t floor = (uint32_t)strtoul(argv[4], 0, 0);
        /* LIMIT: the announced transfer size, as FINISH checks it. */
        uint32_t limit = argc == 6 ? (uint32_t)strtoul(argv[5], 0, 0) : SLOT_SIZE;
        sim_init(&sim);
        if (len > (long)SLOT_SIZE) {
            len = SLOT_SIZE;   /* the rest would not fit in the slot */
        }
        sim_put(&sim, base, data, (uint32_t)len);
        struct img_info info;
        memset(&info, 0, sizeof info);
        enum img_result r = image_validate(sim_ops(&sim), base, limit, floor, 0, &info);
        printf("%s version=%u.%u.%u sec=%u digest=%08x\n", img_result_name(r),
               (unsigned)(info.version >> 24), (unsigned)((info.version >> 16) & 0xFF),
               (unsigned)(info.version & 0xFFFF), (unsigned)info.sec_cnt,
               (unsigned)digest_prefix(info.sha256));
        free(data);
        return 0;
    }
    if (argc == 3 && (strcmp(argv[1], "sha256") == 0 || strcmp(argv[1], "crc32") == 0)) {
        long len;
        uint8_t *data = read_file(argv[2], &len);
        if (argv[1][0] == 's') {
            char h[65];
            sha_hex(data, (size_t)len, 4093, h);
            printf("%s\n", h);
        } else {
            printf("%08x\n", (unsigned)crc32_update(0, data, (size_t)len));
        }
        free(data);
        return 0;
    }
    fprintf(stderr, "usage: %s list | run [NAME...] | validate FILE BASE FLOOR [LIMIT] | "
                    "sha256 FILE | crc32 FILE\n", argv[0]);
    return 2;
}
