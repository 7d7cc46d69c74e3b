/* Header layout (MCUboot docs/design.md §Image format, little-endian):
 *   0 u32 ih_magic, 4 u32 ih_load_addr, 8 u16 ih_hdr_size,
 *  10 u16 ih_protect_tlv_size, 12 u32 ih_img_size, 16 u32 ih_flags,
 *  20 u8 major, u8 minor, u16 revision, u32 build_num, 28 u32 pad.
 * Then payload, protected TLV area (info magic 0x6908, u16 total size incl.
 * the 4-byte info), unprotected TLV area (0x6907). The SHA256 TLV covers
 * header + payload + protected TLVs; the ED25519 TLV signs that digest, the
 * KEYHASH TLV names the key. Both sit in the unprotected area, as MCUboot
 * has them. A SEC_CNT is trusted only in the protected area (covered by the
 * hash and so by the signature); one in the unprotected area is skipped. */
#include "image.h"
#include "layout.h"


static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct unprot_tlvs {
    uint8_t sha[SHA256_DIGEST_SIZE];
    uint8_t keyhash[IMAGE_KEYHASH_SIZE];
    uint8_t sig[IMAGE_SIG_SIZE];
    uint8_t have_sha, have_keyhash, have_sig;
};

static enum img_result refuse(struct img_info *info, enum img_result r, const char *why)
{
    info->why = why;
    return r;
}

/* Reads one TLV value of exactly `want` bytes, once. */
static enum img_result take(const struct flash_ops *f, uint32_t off, uint16_t len, uint32_t want,
                            uint8_t *dst, uint8_t *have, enum img_result code, const char *bad_len,
                            const char *twice, struct img_info *info)
{
    if (len != want) {
        return refuse(info, code, bad_len);
    }
    if (*have) {
        return refuse(info, code, twice);
    }
    if (flash_read(f, off, dst, want)) {
        return refuse(info, IMG_E_FLASH, "read");
    }
    *have = 1;
    return IMG_OK;
}

/* Walks a TLV area [start, start+size): the protected one for SEC_CNT, the
 * unprotected one for the hash, key hash and signature (an allow-list). */
static enum img_result scan_tlvs(const struct flash_ops *f, uint32_t start, uint32_t size,
                                 int protected_area, uint32_t *sec_cnt, int *have_sec,
                                 struct unprot_tlvs *u, struct img_info *info)
{
    uint8_t t[4];
    uint32_t off = start + 4;
    uint32_t end = start + size;
    while (off < end) {
        if (end - off < 4) {
            return refuse(info, IMG_E_TLV, "bad-tlv-area");
        }
        if (flash_read(f, off, t, 4)) {
            return refuse(info, IMG_E_FLASH, "read");
        }
        uint16_t type = get16(t);
        uint16_t len = get16(t + 2);
        off += 4;
        if (len > end - off) {
            return refuse(info, IMG_E_TLV, "bad-tlv-area");
        }
        enum img_result r = IMG_OK;
        if (protected_area) {
            if (type == IMAGE_TLV_SEC_CNT) {
                if (*have_sec || len != 4) {
                    return refuse(info, IMG_E_TLV, "bad-sec-cnt");
                }
                uint8_t v[4];
                if (flash_read(f, off, v, 4)) {
                    return refuse(info, IMG_E_FLASH, "read");
                }
                *sec_cnt = get32(v);
                *have_sec = 1;
            }
            /* Other protected TLVs are covered by the hash and ignored. */
        } else if (type == IMAGE_TLV_SHA256) {
            r = take(f, off, len, SHA256_DIGEST_SIZE, u->sha, &u->have_sha, IMG_E_TLV, "bad-tlv-area",
                     "bad-tlv-area", info);
        } else if (type == IMAGE_TLV_KEYHASH) {
            r = take(f, off, len, IMAGE_KEYHASH_SIZE, u->keyhash, &u->have_keyhash, IMG_E_KEY,
                     "key-hash-length", "two-key-hashes", info);
        } else if (type == IMAGE_TLV_ED25519) {
            r = take(f, off, len, IMAGE_SIG_SIZE, u->sig, &u->have_sig, IMG_E_SIG, "signature-length",
                     "two-signatures", info);
        } else if (type != IMAGE_TLV_SEC_CNT) {
            /* A SEC_CNT here is outside the signed area: never read. */
            return refuse(info, IMG_E_TLV, "unknown-unprotected-tlv");
        }
        if (r != IMG_OK) {
            return r;
        }
        off += len;
    }
    return IMG_OK;
}

enum img_result image_validate(const struct flash_ops *f, uint32_t base, uint32_t limit,
                               uint32_t floor, const uint32_t *expected_digest,
                               struct img_info *info)
{
    uint8_t h[32];
    uint8_t calc[SHA256_DIGEST_SIZE];
    uint8_t t[4];
    struct unprot_tlvs u;

    info->why = 0;
    u.have_sha = 0;
    u.have_keyhash = 0;
    u.have_sig = 0;
    if (flash_read(f, base, h, sizeof h)) {
        return refuse(info, IMG_E_FLASH, "read");
    }
    if (get32(h) != IMAGE_MAGIC) {
        return refuse(info, IMG_E_MAGIC, "bad-header-magic");
    }
    uint32_t load_addr = get32(h + 4);
    uint32_t hdr_size = get16(h + 8);
    uint32_t prot_size = get16(h + 10);
    uint32_t img_size = get32(h + 12);
    uint32_t flags = get32(h + 16);
    info->version = (uint32_t)h[20] << 24 | (uint32_t)h[21] << 16 | get16(h + 22);

    if (!(flags & IMAGE_F_ROM_FIXED) || load_addr != base) {
        return refuse(info, IMG_E_LOADADDR, "not-built-for-this-slot");
    }
    if (hdr_size != IMAGE_HEADER_SIZE || limit > SLOT_SIZE || limit < hdr_size) {
        return refuse(info, IMG_E_SIZE, "bad-size");
    }
    /* Sizes are checked one step at a time so no sum can overflow. */
    if (img_size > limit - hdr_size) {
        return refuse(info, IMG_E_SIZE, "bad-size");
    }
    uint32_t prot_start = hdr_size + img_size;
    if (prot_size == 0) {
        return refuse(info, IMG_E_TLV, "no-protected-tlvs");   /* SEC_CNT is mandatory */
    }
    if (prot_size > limit - prot_start || prot_size < 4) {
        return refuse(info, IMG_E_SIZE, "bad-size");
    }
    if (flash_read(f, base + prot_start, t, 4)) {
        return refuse(info, IMG_E_FLASH, "read");
    }
    if (get16(t) != IMAGE_TLV_PROT_MAGIC || get16(t + 2) != prot_size) {
        return refuse(info, IMG_E_TLV, "bad-tlv-area");
    }
    uint32_t unprot_start = prot_start + prot_size;
    if (limit - unprot_start < 4) {
        return refuse(info, IMG_E_SIZE, "bad-size");
    }
    if (flash_read(f, base + unprot_start, t, 4)) {
        return refuse(info, IMG_E_FLASH, "read");
    }
    uint32_t unprot_size = get16(t + 2);
    if (get16(t) != IMAGE_TLV_INFO_MAGIC || unprot_size < 4) {
        return refuse(info, IMG_E_TLV, "bad-tlv-area");
    }
    if (unprot_size > limit - unprot_start) {
        return refuse(info, IMG_E_SIZE, "bad-size");
    }
    info->total_size = unprot_start + unprot_size;

    uint32_t sec_cnt = 0;
    int have_sec = 0;
    enum img_result r = scan_tlvs(f, base + prot_start, prot_size, 1, &sec_cnt, &have_sec, &u, info);
    if (r != IMG_OK) {
        return r;
    }
    r = scan_tlvs(f, base + unprot_start, unprot_size, 0, 0, 0, &u, info);
    if (r != IMG_OK) {
        return r;
    }
    if (!have_sec) {
        return refuse(info, IMG_E_TLV, "no-sec-cnt");
    }
    if (!u.have_sha) {
        return refuse(info, IMG_E_TLV, "no-sha256");
    }

    struct sha256 s;
    uint8_t chunk[256];
    sha256_init(&s);
    for (uint32_t off = 0; off < unprot_start; ) {
        uint32_t n = unprot_start - off;
        if (n > sizeof chunk) {
            n = sizeof chunk;
        }
        if (flash_read(f, base + off, chunk, n)) {
            return refuse(info, IMG_E_FLASH, "read");
        }
        sha256_update(&s, chunk, n);
        off += n;
        if ((off & 0x3FFFu) == 0) {
            flash_feed(f);
        }
    }
    sha256_final(&s, calc);
    uint8_t diff = 0;
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        diff |= (uint8_t)(calc[i] ^ u.sha[i]);
        info->sha256[i] = calc[i];
    }
    if (diff) {
        return refuse(info, IMG_E_HASH, "image-hash-mismatch");
    }
    /* Who made it: the digest signed by the trusted key. */
    if (!u.have_sig) {
#ifndef BUG_B11
        return refuse(info, IMG_E_SIG, "no-signature");
#endif
    } else if (!u.have_keyhash) {
        return refuse(info, IMG_E_KEY, "no-key-hash");
    } else {
        r = image_check_signature(calc, u.keyhash, u.sig, info);
#ifdef BUG_B11
        /* B11: fail-open: a signature that does not verify is let through */
        r = IMG_OK;
#endif
        if (r != IMG_OK) {
            return r;
        }
    }
    /* SEC_CNT is trusted only now that the signature covering it verified. */
    info->sec_cnt = sec_cnt;
    if (sec_cnt < floor) {
        return refuse(info, IMG_E_ROLLBACK, "sec-cnt-below-floor");
    }
    if (expected_digest && *expected_digest != digest_prefix(calc)) {
        return refuse(info, IMG_E_HASH, "not-the-recorded-image");
    }
    /* The image must be linked for this slot: an image built for the other
     * slot but stamped with this load address would jump into the other slot. */
    uint8_t vec[8];
    if (flash_read(f, base + hdr_size, vec, sizeof vec)) {
        return refuse(info, IMG_E_FLASH, "read");
    }
    uint32_t sp = get32(vec);
    uint32_t pc = get32(vec + 4);
    uint32_t code_start = base + hdr_size;
    uint32_t code_end = code_start + img_size;
    if (img_size < 8 || sp < RAM_START || sp > RAM_END || !(pc & 1u) ||
        (pc & ~1u) < code_start || (pc & ~1u) >= code_end) {
        return refuse(info, IMG_E_LOADADDR, "not-built-for-this-slot");
    }
    return IMG_OK;
}

const char *img_result_name(enum img_result r)
{
    switch (r) {
    case IMG_OK: return "OK";
    case IMG_E_MAGIC: return "E_MAGIC";
    case IMG_E_LOADADDR: return "E_LOADADDR";
    case IMG_E_SIZE: return "E_SIZE";
    case IMG_E_TLV: return "E_TLV";
    case IMG_E_HASH: return "E_HASH";
    case IMG_E_ROLLBACK: return "E_ROLLBACK";
    case IMG_E_FLASH: return "E_FLASH";
    case IMG_E_SIG: return "E_SIG";
    case IMG_E_KEY: return "E_KEY";
    default: break;
    }
    return "E_UNKNOWN";
}

const char *img_detail(enum img_result r, const struct img_info *info)
{
    if (r == IMG_OK) {
        return "OK";
    }
    return info->why ? info->why : "invalid-image";
}
