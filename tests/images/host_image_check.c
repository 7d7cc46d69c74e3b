/* Host build of the firmware's image_validate() (firmware_fixtures/src/core/
 * image.c), so the tests can compare pytest_iot_hil.images.validate with the
 * real C. Reads lines "PATH SLOT_BASE LIMIT FLOOR [DIGEST]" (numbers in any C
 * base) from stdin and prints one img_result_name() per line. The file goes
 * into an erased 1 MiB flash at SLOT_BASE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "layout.h"

static unsigned char flash[FLASH_SIZE];

static int rd(void *ctx, uint32_t addr, void *buf, uint32_t len)
{
    (void)ctx;
    if (addr < FLASH_BASE || addr - FLASH_BASE > FLASH_SIZE || len > FLASH_SIZE - (addr - FLASH_BASE)) {
        return -1;
    }
    memcpy(buf, flash + (addr - FLASH_BASE), len);
    return 0;
}

static int no_write(void *ctx, uint32_t addr, const void *buf, uint32_t len)
{
    (void)ctx; (void)addr; (void)buf; (void)len;
    return -1;
}

static int no_erase(void *ctx, uint32_t addr)
{
    (void)ctx; (void)addr;
    return -1;
}

int main(void)
{
    const struct flash_ops ops = { rd, no_write, no_erase, 0, 0 };
    char path[4096];
    unsigned long base, limit, floor;
    char digest[32];
    char line[8192];

    while (fgets(line, sizeof line, stdin)) {
        int n = sscanf(line, "%4095s %li %li %li %31s", path, (long *)&base, (long *)&limit, (long *)&floor, digest);
        if (n < 4) {
            continue;
        }
        memset(flash, 0xFF, sizeof flash);
        FILE *f = fopen(path, "rb");
        if (!f) {
            printf("E_NOFILE\n");
            continue;
        }
        if (base < FLASH_BASE || base - FLASH_BASE >= FLASH_SIZE) {
            fclose(f);
            printf("E_NOBASE\n");
            continue;
        }
        fread(flash + (base - FLASH_BASE), 1, FLASH_SIZE - (base - FLASH_BASE), f);
        fclose(f);
        uint32_t expected = n == 5 ? (uint32_t)strtoul(digest, 0, 0) : 0;
        struct img_info info;
        enum img_result r = image_validate(&ops, (uint32_t)base, (uint32_t)limit, (uint32_t)floor,
                                           n == 5 ? &expected : 0, &info);
        printf("%s\n", img_result_name(r));
        fflush(stdout);
    }
    return 0;
}
