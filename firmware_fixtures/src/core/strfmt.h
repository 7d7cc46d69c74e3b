/* Tiny bounded string builder for reply lines (no printf in freestanding
 * builds). Output is always NUL-terminated and silently truncated. */
#ifndef STRFMT_H
#define STRFMT_H

#include <stddef.h>
#include <stdint.h>

struct strfmt {
    char *buf;
    size_t cap;
    size_t len;
};

void sf_init(struct strfmt *sf, char *buf, size_t cap);
void sf_str(struct strfmt *sf, const char *s);
void sf_char(struct strfmt *sf, char c);
void sf_u32(struct strfmt *sf, uint32_t v);
void sf_hex32(struct strfmt *sf, uint32_t v);       /* 8 lowercase hex digits */
void sf_version(struct strfmt *sf, uint32_t ver);   /* major<<24|minor<<16|rev */
int str_eq(const char *a, const char *b);

#endif
