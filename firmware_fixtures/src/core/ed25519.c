/* Ed25519 verification from RFC 8032 (§5.1: the curve, encoding, decoding,
 * and the check [S]B = R + [k]A with k = SHA-512(R || A || M) mod L).
 *
 * Field elements of GF(2^255 - 19) are ten signed limbs in radix 2^25.5:
 * limb i holds bits pos(i) .. pos(i) + width(i) - 1 with pos(i) = 25 i +
 * ceil(i / 2), so widths alternate 26 (even i) and 25 (odd i). The product
 * of limbs i and j lands at pos(i + j), once more doubled when i and j are
 * both odd; a product at or past bit 255 wraps with a factor 19
 * (2^255 = 19 mod p). Products are summed in 64 bits; carrying brings every
 * limb back to about 2^25, so sums and differences of two or three carried
 * elements can be multiplied without overflow (the worst sum is below 2^62).
 *
 * R is not decoded: [S]B - [k]A is encoded and compared with R's bytes,
 * which refuses an R that is no point's (canonical) encoding all the same.
 *
 * Points are extended twisted Edwards coordinates (X : Y : Z : T), x = X/Z,
 * y = Y/Z, xy = T/Z, on -x^2 + y^2 = 1 + d x^2 y^2; addition and doubling
 * are the "add-2008-hwcd-3" and "dbl-2008-hwcd" formulas of Hisil, Wong,
 * Carter and Dawson (2008) for a = -1. */
#include "ed25519.h"
#include "sha512.h"

typedef int32_t fe[10];

struct ge {
    fe X, Y, Z, T;
};

/* Little-endian encodings of the constants, as RFC 8032 §5.1 defines them:
 * d = -121665/121666, 2d, sqrt(-1) = 2^((p-1)/4), the base point B
 * (y = 4/5, x even), the group order L = 2^252 + 27742317777372353535851937790883648493,
 * and the exponents p - 2 (inversion) and (p - 5)/8 (square root). */
static const uint8_t D2_BYTES[32] = {
    0x59, 0xf1, 0xb2, 0x26, 0x94, 0x9b, 0xd6, 0xeb, 0x56, 0xb1, 0x83, 0x82, 0x9a, 0x14, 0xe0, 0x00,
    0x30, 0xd1, 0xf3, 0xee, 0xf2, 0x80, 0x8e, 0x19, 0xe7, 0xfc, 0xdf, 0x56, 0xdc, 0xd9, 0x06, 0x24,
};
static const uint8_t D_BYTES[32] = {
    0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00,
    0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52,
};
static const uint8_t SQRTM1_BYTES[32] = {
    0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f,
    0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b,
};
static const uint8_t BX_BYTES[32] = {
    0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25, 0x95, 0x60, 0xc7, 0x2c, 0x69,
    0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2, 0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21,
};
static const uint8_t BY_BYTES[32] = {
    0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
};
static const uint8_t L_BYTES[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};
static const uint8_t P_MINUS_2[32] = {
    0xeb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
};
static const uint8_t P_MINUS_5_OVER_8[32] = {
    0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f,
};

static unsigned limb_pos(int i)
{
    return 25u * (unsigned)i + (unsigned)(i + 1) / 2u;
}

static unsigned limb_width(int i)
{
    return (i & 1) ? 25u : 26u;
}

/* --------------------------------------------------------------- field */

static void fe_copy(fe h, const fe f)
{
    for (int i = 0; i < 10; i++) {
        h[i] = f[i];
    }
}

static void fe_set_small(fe h, int32_t v)
{
    h[0] = v;
    for (int i = 1; i < 10; i++) {
        h[i] = 0;
    }
}

/* The low 255 bits of s (bit 255 is the caller's: a sign). */
static void fe_frombytes(fe h, const uint8_t s[32])
{
    for (int i = 0; i < 10; i++) {
        unsigned pos = limb_pos(i), w = limb_width(i);
        uint64_t v = 0;
        /* pos % 8 + w <= 32 for every limb: four bytes always cover it. */
        for (unsigned b = 0; b < 4 && pos / 8 + b < 32; b++) {
            v |= (uint64_t)s[pos / 8 + b] << (8 * b);
        }
        h[i] = (int32_t)((v >> (pos % 8)) & ((1u << w) - 1u));
    }
}

/* Carries t (limbs of any sign below about 2^62) into h, each limb then
 * within +-2^(width-1) but limb 1 (one extra carry), rounding to nearest. */
static void fe_carry64(fe h, int64_t t[10])
{
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 10; i++) {
            unsigned w = limb_width(i);
            int64_t c = (t[i] + ((int64_t)1 << (w - 1))) >> w;   /* arithmetic shift */
            t[i] -= c * ((int64_t)1 << w);
            if (i == 9) {
                t[0] += c * 19;
            } else {
                t[i + 1] += c;
            }
            if (pass == 1 && i == 0) {
                break;      /* the second pass only settles limb 0 into limb 1 */
            }
        }
    }
    for (int i = 0; i < 10; i++) {
        h[i] = (int32_t)t[i];
    }
}

static void fe_carry(fe h)
{
    int64_t t[10];
    for (int i = 0; i < 10; i++) {
        t[i] = h[i];
    }
    fe_carry64(h, t);
}

static void fe_add(fe h, const fe f, const fe g)
{
    for (int i = 0; i < 10; i++) {
        h[i] = f[i] + g[i];
    }
}

static void fe_sub(fe h, const fe f, const fe g)
{
    for (int i = 0; i < 10; i++) {
        h[i] = f[i] - g[i];
    }
}

static void fe_neg(fe h, const fe f)
{
    for (int i = 0; i < 10; i++) {
        h[i] = -f[i];
    }
}

static void fe_mul(fe h, const fe f, const fe g)
{
    /* Limb k of the product sums f_i g_j over i + j = k (mod 10), so j is
     * k - i: gx[k - i + 10] is g_j, times 19 where k < i (the product
     * wrapped past bit 255). The pair is doubled when i and j are both odd,
     * that is when i is odd and k even: f2 holds f with its odd limbs
     * doubled, for the even k. */
    int32_t gx[20], f2[10];
    for (int j = 0; j < 10; j++) {
        gx[j] = 19 * g[j];
        gx[j + 10] = g[j];
        f2[j] = (j & 1) ? 2 * f[j] : f[j];
    }
    int64_t t[10];
    for (int k = 0; k < 10; k++) {
        const int32_t *fs = (k & 1) ? f : f2;
        const int32_t *gk = gx + k + 10;
        int64_t acc = 0;
        for (int i = 0; i < 10; i++) {
            acc += (int64_t)fs[i] * gk[-i];
        }
        t[k] = acc;
    }
    fe_carry64(h, t);
}

static void fe_sq(fe h, const fe f)
{
    fe_mul(h, f, f);
}

/* f^e for an exponent given as 32 little-endian bytes: a fixed 4-bit
 * window, left to right (255 squarings and at most 64 multiplications). */
static void fe_pow(fe h, const fe f, const uint8_t e[32])
{
    fe table[16], r;
    fe_set_small(table[0], 1);
    for (int i = 1; i < 16; i++) {
        fe_mul(table[i], table[i - 1], f);
    }
    fe_set_small(r, 1);
    for (int nib = 63; nib >= 0; nib--) {
        for (int i = 0; i < 4; i++) {
            fe_sq(r, r);
        }
        unsigned w = (e[nib / 2] >> (4 * (nib & 1))) & 15u;
        if (w) {
            fe_mul(r, r, table[w]);
        }
    }
    fe_copy(h, r);
}

/* The canonical encoding: the value reduced into [0, p), 255 bits. */
static void fe_tobytes(uint8_t s[32], const fe f)
{
    int64_t t[10];
    fe h;
    fe_copy(h, f);
    fe_carry(h);
    /* Add 2p so every limb is positive: 2p's limbs are 2(2^w - 1), but
     * limb 0, which is 2(2^26 - 19). */
    for (int i = 0; i < 10; i++) {
        int64_t two_p = 2 * (((int64_t)1 << limb_width(i)) - 1);
        t[i] = h[i] + (i == 0 ? two_p - 36 : two_p);
    }
    /* Carry downwards (floor) until every limb is within its width; the
     * value is then below 2^255 and so below p + 19. */
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0; i < 10; i++) {
            unsigned w = limb_width(i);
            int64_t c = t[i] >> w;
            t[i] -= c * ((int64_t)1 << w);
            if (i == 9) {
                t[0] += c * 19;
            } else {
                t[i + 1] += c;
            }
        }
    }
    /* v >= p exactly when v + 19 reaches 2^255: then v - p = (v + 19) mod 2^255. */
    int64_t u[10];
    for (int i = 0; i < 10; i++) {
        u[i] = t[i];
    }
    u[0] += 19;
    for (int i = 0; i < 9; i++) {
        unsigned w = limb_width(i);
        int64_t c = u[i] >> w;
        u[i] -= c * ((int64_t)1 << w);
        u[i + 1] += c;
    }
    if (u[9] >> 25) {
        u[9] &= ((int64_t)1 << 25) - 1;
        for (int i = 0; i < 10; i++) {
            t[i] = u[i];
        }
    }
    for (int i = 0; i < 32; i++) {
        s[i] = 0;
    }
    for (int i = 0; i < 10; i++) {
        unsigned pos = limb_pos(i);
        uint64_t v = (uint64_t)t[i] << (pos % 8);
        for (unsigned b = 0; b < 5 && pos / 8 + b < 32; b++) {
            s[pos / 8 + b] |= (uint8_t)(v >> (8 * b));
        }
    }
}

static int bytes_equal(const uint8_t *a, const uint8_t *b, unsigned n)
{
    uint8_t d = 0;
    for (unsigned i = 0; i < n; i++) {
        d |= (uint8_t)(a[i] ^ b[i]);
    }
    return d == 0;
}

static int fe_equal(const fe f, const fe g)
{
    uint8_t a[32], b[32];
    fe_tobytes(a, f);
    fe_tobytes(b, g);
    return bytes_equal(a, b, 32);
}

static int fe_is_zero(const fe f)
{
    static const uint8_t zero[32];
    uint8_t a[32];
    fe_tobytes(a, f);
    return bytes_equal(a, zero, 32);
}

static int fe_is_odd(const fe f)
{
    uint8_t a[32];
    fe_tobytes(a, f);
    return a[0] & 1;
}

/* -------------------------------------------------------------- points */

static void ge_identity(struct ge *p)
{
    fe_set_small(p->X, 0);
    fe_set_small(p->Y, 1);
    fe_set_small(p->Z, 1);
    fe_set_small(p->T, 0);
}

/* r = p + q (unified: also right for p == q and for the identity). */
static void ge_add(struct ge *r, const struct ge *p, const struct ge *q)
{
    fe a, b, c, d, e, f, g, h, t1, t2, d2;
    fe_sub(t1, p->Y, p->X);
    fe_sub(t2, q->Y, q->X);
    fe_mul(a, t1, t2);
    fe_add(t1, p->Y, p->X);
    fe_add(t2, q->Y, q->X);
    fe_mul(b, t1, t2);
    fe_frombytes(d2, D2_BYTES);
    fe_mul(c, p->T, q->T);
    fe_mul(c, c, d2);
    fe_mul(d, p->Z, q->Z);
    fe_add(d, d, d);
    fe_sub(e, b, a);
    fe_sub(f, d, c);
    fe_add(g, d, c);
    fe_add(h, b, a);
    fe_carry(f);
    fe_carry(g);
    fe_mul(r->X, e, f);
    fe_mul(r->Y, g, h);
    fe_mul(r->T, e, h);
    fe_mul(r->Z, f, g);
}

static void ge_double(struct ge *r, const struct ge *p)
{
    fe a, b, c, e, f, g, h, t;
    fe_sq(a, p->X);
    fe_sq(b, p->Y);
    fe_sq(c, p->Z);
    fe_add(c, c, c);
    fe_add(t, p->X, p->Y);
    fe_sq(t, t);
    fe_add(h, a, b);            /* H = -(D - B) with D = -A: h is -H */
    fe_sub(e, t, h);            /* E = (X + Y)^2 - A - B */
    fe_sub(g, b, a);            /* G = D + B = B - A */
    fe_sub(f, g, c);            /* F = G - C */
    fe_neg(h, h);               /* H = D - B = -A - B */
    fe_carry(e);
    fe_carry(f);
    fe_mul(r->X, e, f);
    fe_mul(r->Y, g, h);
    fe_mul(r->T, e, h);
    fe_mul(r->Z, f, g);
}

/* RFC 8032 §5.1.3: 0 and the point, or -1 when s is not a point's encoding. */
static int ge_decode(struct ge *p, const uint8_t s[32])
{
    fe y, u, v, v3, x, chk, t, one, d;
    uint8_t canon[32];
    int sign = s[31] >> 7;

    fe_frombytes(y, s);
    fe_tobytes(canon, y);
    canon[31] |= (uint8_t)(sign << 7);
    if (!bytes_equal(canon, s, 32)) {
        return -1;              /* y >= p */
    }
    fe_set_small(one, 1);
    fe_frombytes(d, D_BYTES);
    fe_sq(u, y);
    fe_mul(v, u, d);
    fe_sub(u, u, one);          /* u = y^2 - 1 */
    fe_add(v, v, one);          /* v = d y^2 + 1 */
    fe_sq(v3, v);
    fe_mul(v3, v3, v);          /* v^3 */
    fe_sq(t, v3);
    fe_mul(t, t, v);
    fe_mul(t, t, u);            /* u v^7 */
    fe_pow(t, t, P_MINUS_5_OVER_8);
    fe_mul(x, u, v3);
    fe_mul(x, x, t);            /* x = u v^3 (u v^7)^((p-5)/8) */
    fe_sq(chk, x);
    fe_mul(chk, chk, v);
    if (!fe_equal(chk, u)) {
        fe_neg(t, u);
        if (!fe_equal(chk, t)) {
            return -1;          /* no square root: not on the curve */
        }
        fe_frombytes(t, SQRTM1_BYTES);
        fe_mul(x, x, t);
    }
    if (fe_is_zero(x) && sign) {
        return -1;
    }
    if (fe_is_odd(x) != sign) {
        fe_neg(x, x);
        fe_carry(x);
    }
    fe_copy(p->X, x);
    fe_copy(p->Y, y);
    fe_set_small(p->Z, 1);
    fe_mul(p->T, x, y);
    return 0;
}

static void ge_encode(uint8_t s[32], const struct ge *p)
{
    fe zi, x, y;
    fe_pow(zi, p->Z, P_MINUS_2);
    fe_mul(x, p->X, zi);
    fe_mul(y, p->Y, zi);
    fe_tobytes(s, y);
    s[31] |= (uint8_t)(fe_is_odd(x) << 7);
}

/* ------------------------------------------------------------- scalars */

/* s < L, both little-endian 32 bytes. */
static int scalar_below_l(const uint8_t s[32])
{
    for (int i = 31; i >= 0; i--) {
        if (s[i] != L_BYTES[i]) {
            return s[i] < L_BYTES[i];
        }
    }
    return 0;   /* equal */
}

/* out = in mod L for a 64-byte little-endian number, bit by bit: r = 2r + bit,
 * less L when it reaches L. r stays below 2L < 2^254, in nine 32-bit words. */
static void scalar_reduce(uint8_t out[32], const uint8_t in[64])
{
    uint32_t r[9] = { 0 }, l[9] = { 0 };
    for (int i = 0; i < 32; i++) {
        l[i / 4] |= (uint32_t)L_BYTES[i] << (8 * (i % 4));
    }
    for (int bit = 511; bit >= 0; bit--) {
        uint32_t carry = (in[bit / 8] >> (bit % 8)) & 1u;
        for (int i = 0; i < 9; i++) {
            uint32_t top = r[i] >> 31;
            r[i] = r[i] << 1 | carry;
            carry = top;
        }
        int ge_l = 1;
        for (int i = 8; i >= 0; i--) {
            if (r[i] != l[i]) {
                ge_l = r[i] > l[i];
                break;
            }
        }
        if (ge_l) {
            uint32_t borrow = 0;
            for (int i = 0; i < 9; i++) {
                uint64_t d = (uint64_t)r[i] - l[i] - borrow;
                r[i] = (uint32_t)d;
                borrow = (uint32_t)(d >> 63);
            }
        }
    }
    for (int i = 0; i < 32; i++) {
        out[i] = (uint8_t)(r[i / 4] >> (8 * (i % 4)));
    }
}

/* ------------------------------------------------------------- verify */

enum ed25519_result ed25519_verify(const uint8_t sig[ED25519_SIG_SIZE], const uint8_t *msg, size_t len,
                                   const uint8_t pub[ED25519_KEY_SIZE])
{
    struct ge a, b, sum, acc;
    uint8_t h[SHA512_DIGEST_SIZE], k[32], check[32];
    const uint8_t *s = sig + 32;

    if (!scalar_below_l(s)) {
        return ED25519_E_S;
    }
    if (ge_decode(&a, pub) != 0) {
        return ED25519_E_KEY;
    }
    struct sha512 hs;
    sha512_init(&hs);
    sha512_update(&hs, sig, 32);
    sha512_update(&hs, pub, ED25519_KEY_SIZE);
    sha512_update(&hs, msg, len);
    sha512_final(&hs, h);
    scalar_reduce(k, h);

    /* [S]B + [k](-A), both scalars at once (Straus): one doubling per bit,
     * and an addition of B, -A or B - A where the bits say so. */
    fe_neg(a.X, a.X);
    fe_neg(a.T, a.T);
    fe_frombytes(b.X, BX_BYTES);
    fe_frombytes(b.Y, BY_BYTES);
    fe_set_small(b.Z, 1);
    fe_mul(b.T, b.X, b.Y);
    ge_add(&sum, &b, &a);
    ge_identity(&acc);
    for (int bit = 255; bit >= 0; bit--) {
        ge_double(&acc, &acc);
        int bs = (s[bit / 8] >> (bit % 8)) & 1;
        int bk = (k[bit / 8] >> (bit % 8)) & 1;
        if (bs && bk) {
            ge_add(&acc, &acc, &sum);
        } else if (bs) {
            ge_add(&acc, &acc, &b);
        } else if (bk) {
            ge_add(&acc, &acc, &a);
        }
    }
    ge_encode(check, &acc);
    return bytes_equal(check, sig, 32) ? ED25519_OK : ED25519_E_SIG;
}
