#include "strfmt.h"

void sf_init(struct strfmt *sf, char *buf, size_t cap)
{
    sf->buf = buf;
    sf->cap = cap;
    sf->len = 0;
    if (cap) {
        buf[0] = '\0';
    }
}

void sf_char(struct strfmt *sf, char c)
{
    if (sf->len + 1 < sf->cap) {
        sf->buf[sf->len++] = c;
        sf->buf[sf->len] = '\0';
    }
}

void sf_str(struct strfmt *sf, const char *s)
{
    while (*s) {
        sf_char(sf, *s++);
    }
}

void sf_u32(struct strfmt *sf, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n) {
        sf_char(sf, tmp[--n]);
    }
}

void sf_hex32(struct strfmt *sf, uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    for (int shift = 28; shift >= 0; shift -= 4) {
        sf_char(sf, digits[(v >> shift) & 0xFu]);
    }
}

void sf_version(struct strfmt *sf, uint32_t ver)
{
    sf_u32(sf, ver >> 24);
    sf_char(sf, '.');
    sf_u32(sf, (ver >> 16) & 0xFFu);
    sf_char(sf, '.');
    sf_u32(sf, ver & 0xFFFFu);
}

int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}
