/* OTA-capable demo app, linked for one slot (vector table at slot base +
 * 0x200). Variants are selected at build time:
 *   APP_CRASH      HardFault right after the banner
 *   APP_HANG       banner, then spin without feeding the watchdog
 *   APP_NOCONFIRM  `confirm` fails its health check and writes nothing */
#include "../core/bootflow.h"
#include "../core/layout.h"
#include "../core/linebuf.h"
#include "../core/ota.h"
#include "../core/report.h"
#include "../core/smp_serve.h"
#include "../hw/board.h"
#include "../hw/flash_hw.h"
#include "../hw/mps2.h"
#include "../hw/uart.h"

#ifndef APP_VER_MAJOR
#error "APP_VER_MAJOR/MINOR/REV must be defined"
#endif

#define APP_VERSION ((uint32_t)APP_VER_MAJOR << 24 | (uint32_t)APP_VER_MINOR << 16 | (uint32_t)APP_VER_REV)
#define FEED_INTERVAL_MS 100u

typedef void (*vector_t)(void);
extern const vector_t __vectors[];

static struct journal journal;
static struct linebuf con;
static struct ota ota;
static int running;
static uint32_t boot_cause;
/* SMP (MCUmgr) over the same UART: see core/smp.h. */
static struct smp_link smp_link;
static struct smp_img smp_img;

static void put_line(void *ctx, const char *line)
{
    (void)ctx;
    uart_puts(line);
    uart_puts("\r\n");
}

void HardFault_Handler(void)
{
    board_set_reset_cause(RC_HARDFAULT);
    board_reset();
}

void NMI_Handler(void)
{
    /* WDOGINT: the first watchdog timeout. Record it and wait for the
     * second timeout to reset the machine. */
    board_set_reset_cause(RC_WATCHDOG);
    for (;;) {
    }
}

static int health_check(uint32_t *sec_cnt)
{
#ifdef APP_NOCONFIRM
    (void)sec_cnt;
    return -1;
#else
    /* The running image must still validate in place; its SEC_CNT is what
     * confirm may raise the floor to. */
    struct img_info info;
    if (image_validate(&flash_hw, slot_base(running), SLOT_SIZE, 0, 0, &info) != IMG_OK) {
        return -1;
    }
    *sec_cnt = info.sec_cnt;
    return 0;
#endif
}

/* The confirm of the running image, for the shell's `confirm` and SMP's state write. */
static int app_confirm(uint32_t *seq, const char **why)
{
    uint32_t sec_cnt = 0;
    if (health_check(&sec_cnt) != 0) {
        *why = "health check failed";
        return -2;
    }
    int rc = bs_confirm(&journal, &flash_hw, running, sec_cnt, seq);
    if (rc == -1) {
        *why = "confirm flash";
    } else if (rc != 0) {
        *why = "the running image is not on trial or confirmed";
    }
    return rc;
}

static int smp_confirm(void *app, const char **reason)
{
    (void)app;
    uint32_t seq = 0;
    return app_confirm(&seq, reason);
}

static void smp_packet(void)
{
    int reset = smp_serve(&smp_link, &smp_img, uart_write, 0);
#ifdef BUG_B13
    /* B13: the confirm record is written only after the answer went out */
    bs_confirm_commit();
#endif
    if (reset) {
        uart_flush();
        board_set_reset_cause(RC_REBOOT);
        board_reset();
    }
}

static void text_command(const char *cmd)
{
    char line[200];
    struct strfmt sf;
    sf_init(&sf, line, sizeof line);

    if (str_eq(cmd, "version")) {
        sf_str(&sf, "version ");
        sf_version(&sf, APP_VERSION);
        sf_str(&sf, " slot=");
        sf_char(&sf, slot_letter(running));
    } else if (str_eq(cmd, "info")) {
        journal_load(&journal, &flash_hw);
        report_info(&sf, &journal, running, APP_VERSION, (int)boot_cause);
    } else if (str_eq(cmd, "confirm")) {
        uint32_t seq = 0;
        const char *why = 0;
        int rc = app_confirm(&seq, &why);
        if (rc == 0) {
            sf_str(&sf, "OK confirm seq=");
            sf_u32(&sf, seq);
        } else if (rc == -2) {
            sf_str(&sf, "ERR health check failed");
        } else if (rc == -1) {
            sf_str(&sf, "ERR confirm flash");
        } else {
            sf_str(&sf, "ERR confirm state=");
            sf_str(&sf, journal.have_latest ? state_name(journal.latest.slot[running].state) : "NONE");
        }
    } else if (str_eq(cmd, "mark-bad")) {
        if (bs_mark_bad(&journal, &flash_hw, running) == 0) {
            put_line(0, "OK mark-bad");
            board_set_reset_cause(RC_MARK_BAD);
            board_reset();
        }
        sf_str(&sf, "ERR mark-bad flash");
    } else if (str_eq(cmd, "reboot")) {
        put_line(0, "rebooting");
        board_set_reset_cause(RC_REBOOT);
        board_reset();
    } else {
        sf_str(&sf, "? unknown command");
    }
    put_line(0, line);
#ifdef BUG_B13
    /* B13: the confirm record is written only after the OK went out */
    bs_confirm_commit();
#endif
}

static void handle(enum line_result ev)
{
    switch (ev) {
    case LINE_READY: text_command(con.buf); break;
    case LINE_BAD: put_line(0, "? unknown command"); break;
    default: break;
    }
}

int main(void)
{
    char line[48];
    struct strfmt sf;

    running = (uint32_t)__vectors >= SLOT_B_BASE ? SLOT_B : SLOT_A;
    boot_cause = NOINIT->boot_magic == BOOTINFO_MAGIC ? NOINIT->boot_cause : RC_POWER_ON;
    uart_init();
    board_wdog_feed();

    sf_init(&sf, line, sizeof line);
    sf_str(&sf, "app v");
    sf_version(&sf, APP_VERSION);
    sf_str(&sf, " slot=");
    sf_char(&sf, slot_letter(running));
    put_line(0, line);

#ifdef APP_CRASH
    /* An undefined instruction; with UsageFault disabled it escalates to
     * HardFault. */
    __asm volatile("udf #0");
#endif
#ifdef APP_HANG
    for (;;) {
    }
#endif

    linebuf_reset(&con);
    ota_init(&ota, &flash_hw, &journal, running, 1 - running);
    smp_link_init(&smp_link);
    smp_img_init(&smp_img, &ota, &journal, &flash_hw, running, smp_confirm, 0);
    board_ticks_init();
    uint32_t since_feed = 0;
    for (;;) {
        uint32_t ms = board_ticks_elapsed_ms();
        since_feed += ms;
        if (since_feed >= FEED_INTERVAL_MS) {
            board_wdog_feed();
            since_feed = 0;
        }
        int c = uart_getc();
        if (c < 0) {
            continue;
        }
        /* SMP frame lines first; everything else is the shell's. */
        enum smp_link_event sev = smp_link_feed(&smp_link, (uint8_t)c);
        if (sev == SMP_LINK_PACKET) {
            smp_packet();
        } else if (sev == SMP_LINK_TEXT) {
            for (uint8_t i = 0; i < smp_link.text_len; i++) {
                handle(linebuf_feed(&con, smp_link.text[i]));
            }
        }
        /* Long frame handling (erase, hash) feeds through flash_ops. */
    }
}
