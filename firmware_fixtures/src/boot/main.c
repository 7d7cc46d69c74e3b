/* A/B bootloader (PROTOCOL.md §2-§5): decides which slot runs,
 * prints one BOOT line, arms the watchdog and jumps. With no bootable
 * image it stays in recovery and serves `info` and SMP (MCUmgr) image
 * upload into slot A, as MCUboot's serial recovery does (§8). */
#include "../core/bootflow.h"
#include "../core/layout.h"
#include "../core/linebuf.h"
#include "../core/ota.h"
#include "../core/report.h"
#include "../core/smp_serve.h"
#include "../hw/board.h"
#include "../hw/flash_hw.h"
#include "../hw/cortexm.h"
#include "../hw/uart.h"

static struct journal journal;
static struct boot_result result;
static struct linebuf con;
static struct ota ota;
static struct smp_link smp_link;
static struct smp_img smp_img;
static uint32_t cause;

static void put_line(void *ctx, const char *line)
{
    (void)ctx;
    uart_puts(line);
    uart_puts("\r\n");
}

__attribute__((noreturn)) static void jump_to(uint32_t vectors)
{
    uint32_t sp = *(const volatile uint32_t *)vectors;
    uint32_t pc = *(const volatile uint32_t *)(vectors + 4);
    SCB_VTOR = vectors;
    __asm volatile("dsb\n\tisb\n\tmsr msp, %0\n\tbx %1" : : "r"(sp), "r"(pc) : "memory");
    __builtin_unreachable();
}

static void text_command(const char *cmd)
{
    char line[200];
    struct strfmt sf;
    sf_init(&sf, line, sizeof line);
    if (str_eq(cmd, "info")) {
        journal_load(&journal, &flash_hw);
        report_info(&sf, &journal, -1, 0, (int)cause);
    } else if (str_eq(cmd, "version")) {
        sf_str(&sf, "version recovery slot=-");
    } else if (str_eq(cmd, "reboot")) {
        put_line(0, "rebooting");
        board_set_reset_cause(RC_REBOOT);
        board_reset();
    } else {
        sf_str(&sf, "? unknown command");
    }
    put_line(0, line);
}

int main(void)
{
    char line[200];
    struct strfmt sf;

    uart_init();
    cause = board_take_reset_cause();
    NOINIT->boot_cause = cause;
    NOINIT->boot_magic = BOOTINFO_MAGIC;

    boot_decide(&journal, &flash_hw, &result);
    if (result.refused_slot >= 0) {
        sf_init(&sf, line, sizeof line);
        report_refused(&sf, img_result_name(result.refused), result.refused_why, result.refused_slot);
        put_line(0, line);
    }
    sf_init(&sf, line, sizeof line);
    report_boot_line(&sf, &result, (int)cause);
    put_line(0, line);

    if (result.slot >= 0) {
        /* Armed for every image: a hang costs a try (PENDING) or at least
         * resets (CONFIRMED). The app feeds it from its main loop. */
        board_wdog_start();
        jump_to(slot_base(result.slot) + IMAGE_HEADER_SIZE);
    }

    /* Recovery: nothing runs; updates go to slot A. */
    linebuf_reset(&con);
    ota_init(&ota, &flash_hw, &journal, -1, SLOT_A);
    smp_link_init(&smp_link);
    smp_img_init(&smp_img, &ota, &journal, &flash_hw, -1, 0, 0);
    for (;;) {
        int c = uart_getc();
        if (c < 0) {
            continue;
        }
        /* SMP frame lines first; everything else is the shell's. */
        enum smp_link_event sev = smp_link_feed(&smp_link, (uint8_t)c);
        if (sev == SMP_LINK_PACKET) {
            if (smp_serve(&smp_link, &smp_img, uart_write, 0)) {
                uart_flush();
                board_set_reset_cause(RC_REBOOT);
                board_reset();
            }
        } else if (sev == SMP_LINK_TEXT) {
            for (uint8_t i = 0; i < smp_link.text_len; i++) {
                enum line_result ev = linebuf_feed(&con, smp_link.text[i]);
                if (ev == LINE_READY) {
                    text_command(con.buf);
                } else if (ev == LINE_BAD) {
                    put_line(0, "? unknown command");
                }
            }
        }
    }
}
