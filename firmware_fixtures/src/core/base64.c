#include "base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t b64_encode(const uint8_t *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        size_t n = len - i < 3 ? len - i : 3;
        if (n > 1) {
            v |= (uint32_t)in[i + 1] << 8;
        }
        if (n > 2) {
            v |= in[i + 2];
        }
        out[o++] = alphabet[(v >> 18) & 0x3F];
        out[o++] = alphabet[(v >> 12) & 0x3F];
        out[o++] = n > 1 ? alphabet[(v >> 6) & 0x3F] : '=';
        out[o++] = n > 2 ? alphabet[v & 0x3F] : '=';
    }
    return o;
}

static int value_of(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

int b64_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    size_t o = 0;
    if (len % 4u) {
        return -1;
    }
    for (size_t i = 0; i < len; i += 4) {
        int last = i + 4 == len;
        int pad = 0;
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++) {
            uint8_t c = in[i + k];
            int d;
            if (c == '=') {
                /* Only in the last group, only at its end: "xx==" or "xxx=". */
                if (!last || k < 2) {
                    return -1;
                }
                pad++;
                d = 0;
            } else {
                if (pad) {
                    return -1;          /* data after padding */
                }
                d = value_of(c);
                if (d < 0) {
                    return -1;
                }
            }
            v = v << 6 | (uint32_t)d;
        }
        size_t n = 3u - (size_t)pad;
        if (o + n > cap) {
            return -1;
        }
        out[o++] = (uint8_t)(v >> 16);
        if (n > 1) {
            out[o++] = (uint8_t)(v >> 8);
        }
        if (n > 2) {
            out[o++] = (uint8_t)v;
        }
    }
    return (int)o;
}
