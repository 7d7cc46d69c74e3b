/* Header layout (MCUboot docs/design.md §Image format, little-endian):
 *   0 u32 ih_magic, 4 u32 ih_load_addr, 8 u16 ih_hdr_size,
 *  10 u16 ih_protect_tlv_size, 12 u32 ih_img_size, 16 u32 ih_flags,
 *  20 u8 major, u8 minor, u16 revision, u32 build_num, 28 u32 pad.
 * Then payload, protected TLV area (info magic 0x6908, u16 total size incl.
 * the 4-byte info), unprotected TLV area (0x6907). The SHA256 TLV covers
 * header + payload + protected TLVs. */
#include "image.h"
#include "layout.h"

#define RAM_START 0x20000000u
#define RAM_END   0x20040000u

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walks a TLV area [start, start+size). For the protected area records
 * SEC_CNT; for the unprotected one the SHA256 value. */
static enum img_result scan_tlvs(const struct flash_ops *f, uint32_t start, uint32_t size,
                                 int protected_area, uint32_t *sec_cnt, int *have_sec,
                                 uint8_t sha[SHA256_DIGEST_SIZE], int *have_sha)
{
    uint8_t t[4];
    uint32_t off = start + 4;
    uint32_t end = start + size;
    while (off < end) {
        if (end - off < 4) {
            return IMG_E_TLV;
        }
        if (flash_read(f, off, t, 4)) {
            return IMG_E_FLASH;
        }
        uint16_t type = get16(t);
        uint16_t len = get16(t + 2);
        off += 4;
        if (len > end - off) {
            return IMG_E_TLV;
        }
        if (protected_area) {
            if (type == IMAGE_TLV_SEC_CNT) {
                if (*have_sec || len != 4) {
                    return IMG_E_TLV;
                }
                uint8_t v[4];
                if (flash_read(f, off, v, 4)) {
                    return IMG_E_FLASH;
                }
                *sec_cnt = get32(v);
                *have_sec = 1;
            }
            /* Other protected TLVs are covered by the hash and ignored. */
        } else {
            if (type != IMAGE_TLV_SHA256 || len != SHA256_DIGEST_SIZE || *have_sha) {
                return IMG_E_TLV;   /* allow-list: exactly one SHA256 */
            }
            if (flash_read(f, off, sha, SHA256_DIGEST_SIZE)) {
                return IMG_E_FLASH;
            }
            *have_sha = 1;
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
    uint8_t tlv_sha[SHA256_DIGEST_SIZE];
    uint8_t calc[SHA256_DIGEST_SIZE];
    uint8_t t[4];

    if (flash_read(f, base, h, sizeof h)) {
        return IMG_E_FLASH;
    }
    if (get32(h) != IMAGE_MAGIC) {
        return IMG_E_MAGIC;
    }
    uint32_t load_addr = get32(h + 4);
    uint32_t hdr_size = get16(h + 8);
    uint32_t prot_size = get16(h + 10);
    uint32_t img_size = get32(h + 12);
    uint32_t flags = get32(h + 16);
    info->version = (uint32_t)h[20] << 24 | (uint32_t)h[21] << 16 | get16(h + 22);

    if (!(flags & IMAGE_F_ROM_FIXED) || load_addr != base) {
        return IMG_E_LOADADDR;
    }
    if (hdr_size != IMAGE_HEADER_SIZE || limit > SLOT_SIZE || limit < hdr_size) {
        return IMG_E_SIZE;
    }
    /* Sizes are checked one step at a time so no sum can overflow. */
    if (img_size > limit - hdr_size) {
        return IMG_E_SIZE;
    }
    uint32_t prot_start = hdr_size + img_size;
    if (prot_size == 0) {
        return IMG_E_TLV;   /* SEC_CNT is mandatory */
    }
    if (prot_size > limit - prot_start || prot_size < 4) {
        return IMG_E_SIZE;
    }
    if (flash_read(f, base + prot_start, t, 4)) {
        return IMG_E_FLASH;
    }
    if (get16(t) != IMAGE_TLV_PROT_MAGIC || get16(t + 2) != prot_size) {
        return IMG_E_TLV;
    }
    uint32_t unprot_start = prot_start + prot_size;
    if (limit - unprot_start < 4) {
        return IMG_E_SIZE;
    }
    if (flash_read(f, base + unprot_start, t, 4)) {
        return IMG_E_FLASH;
    }
    uint32_t unprot_size = get16(t + 2);
    if (get16(t) != IMAGE_TLV_INFO_MAGIC || unprot_size < 4) {
        return IMG_E_TLV;
    }
    if (unprot_size > limit - unprot_start) {
        return IMG_E_SIZE;
    }
    info->total_size = unprot_start + unprot_size;

    uint32_t sec_cnt = 0;
    int have_sec = 0, have_sha = 0;
    enum img_result r = scan_tlvs(f, base + prot_start, prot_size, 1, &sec_cnt, &have_sec, 0, 0);
    if (r != IMG_OK) {
        return r;
    }
    r = scan_tlvs(f, base + unprot_start, unprot_size, 0, 0, 0, tlv_sha, &have_sha);
    if (r != IMG_OK) {
        return r;
    }
    if (!have_sec || !have_sha) {
        return IMG_E_TLV;
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
            return IMG_E_FLASH;
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
        diff |= (uint8_t)(calc[i] ^ tlv_sha[i]);
        info->sha256[i] = calc[i];
    }
    if (diff) {
        return IMG_E_HASH;
    }
    /* SEC_CNT is trusted only now that the hash covering it matched. */
    info->sec_cnt = sec_cnt;
    if (sec_cnt < floor) {
        return IMG_E_ROLLBACK;
    }
    if (expected_digest && *expected_digest != digest_prefix(calc)) {
        return IMG_E_HASH;
    }
    /* The image must be linked for this slot: an image built for the other
     * slot but stamped with this load address would jump into the other slot. */
    uint8_t vec[8];
    if (flash_read(f, base + hdr_size, vec, sizeof vec)) {
        return IMG_E_FLASH;
    }
    uint32_t sp = get32(vec);
    uint32_t pc = get32(vec + 4);
    uint32_t code_start = base + hdr_size;
    uint32_t code_end = code_start + img_size;
    if (img_size < 8 || sp < RAM_START || sp > RAM_END || !(pc & 1u) ||
        (pc & ~1u) < code_start || (pc & ~1u) >= code_end) {
        return IMG_E_LOADADDR;
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
    }
    return "E_UNKNOWN";
}
