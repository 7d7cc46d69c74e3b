/* OTA-capable demo app, linked for one slot (vector table at slot base +
 * 0x200). Variants are selected at build time:
 *   APP_CRASH      HardFault right after the banner
 *   APP_CRASH_REV  HardFault right after the banner, on that hardware revision only
 *   APP_HANG       banner, then spin without feeding the watchdog
 *   APP_NOCONFIRM  `confirm` fails its health check and writes nothing
 *   APP_DRAIN_UV_S the simulated battery's drain in microvolts per second
 *
 * Health telemetry for fleet rehearsals: `metrics` answers
 *   metrics uptime_ms=<n> crashes=<n> battery_mv=<n.nnn> link_errors=<n> hw=<rev>
 * A HardFault prints `FAULT HardFault pc=0x<pc> lr=0x<lr>` (the stacked
 * frame) before it resets. `battery-set <mV>` sets the simulated battery. */
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

#ifndef APP_VER_MAJOR
#error "APP_VER_MAJOR/MINOR/REV must be defined"
#endif

#define APP_VERSION ((uint32_t)APP_VER_MAJOR << 24 | (uint32_t)APP_VER_MINOR << 16 | (uint32_t)APP_VER_REV)
#define FEED_INTERVAL_MS 100u
#ifndef APP_DRAIN_UV_S
#define APP_DRAIN_UV_S 100u          /* 0.36 V an hour */
#endif
#define BATTERY_FULL_UV 3900000u


static struct journal journal;
static struct linebuf con;
static struct ota ota;
static int running;
static uint32_t boot_cause;
/* SMP (MCUmgr) over the same UART: see core/smp.h. */
static struct smp_link smp_link;
static struct smp_img smp_img;
static uint32_t uptime_ms;
static uint32_t link_errors;
static uint32_t drain_rem;

static void put_line(void *ctx, const char *line)
{
    (void)ctx;
    uart_puts(line);
    uart_puts("\r\n");
}

static void app_state_init(void)
{
    if (NOINIT->app_magic != APPSTATE_MAGIC) {   /* power-on: RAM was cleared */
        NOINIT->crashes = 0;
        NOINIT->battery_uv = BATTERY_FULL_UV;
        NOINIT->app_magic = APPSTATE_MAGIC;
    }
}

static char hw_rev(void)
{
    const volatile uint32_t *rec = (const volatile uint32_t *)HWID_BASE;
    char rev = (char)(rec[1] & 0xFFu);
    return rec[0] == HWID_MAGIC && rev >= 'A' && rev <= 'Z' ? rev : '?';
}

/* The stacked frame of the fault: print PC and LR (the host symbolizes them
 * from the image's ELF), count the crash, reset. */
void app_fault(const uint32_t *frame);
void app_fault(const uint32_t *frame)
{
    char line[48];
    struct strfmt sf;
    sf_init(&sf, line, sizeof line);
    sf_str(&sf, "FAULT HardFault pc=0x");
    sf_hex32(&sf, frame[6]);
    sf_str(&sf, " lr=0x");
    sf_hex32(&sf, frame[5]);
    uart_puts("\r\n");
    put_line(0, line);
    if (NOINIT->app_magic == APPSTATE_MAGIC) {
        NOINIT->crashes++;
    }
    board_set_reset_cause(RC_HARDFAULT);
    board_reset();
}

__attribute__((naked)) void HardFault_Handler(void)
{
    __asm volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "b app_fault\n");
}

#ifdef APP_CRASH_REV
/* A driver that faults on one board revision only (an undefined instruction
 * stands in for the register that revision lacks). */
static void __attribute__((noinline)) sensor_init_rev(void)
{
    __asm volatile("udf #1");
}
#endif

static void battery_drain(uint32_t ms)
{
    /* Microvolts per millisecond, with the remainder carried. */
    uint32_t uv = (ms * APP_DRAIN_UV_S + drain_rem) / 1000u;
    drain_rem = (ms * APP_DRAIN_UV_S + drain_rem) % 1000u;
    NOINIT->battery_uv = NOINIT->battery_uv > uv ? NOINIT->battery_uv - uv : 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    if (*s == 0) {
        return -1;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 429496728u) {
            return -1;
        }
        v = v * 10u + (uint32_t)(*s - '0');
    }
    *out = v;
    return 0;
}

static int starts_with(const char *s, const char *prefix)
{
    while (*prefix) {
        if (*s++ != *prefix++) {
            return 0;
        }
    }
    return 1;
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
    } else if (str_eq(cmd, "metrics")) {
        sf_str(&sf, "metrics uptime_ms=");
        sf_u32(&sf, uptime_ms);
        sf_str(&sf, " crashes=");
        sf_u32(&sf, NOINIT->crashes);
        sf_str(&sf, " battery_mv=");
        sf_u32(&sf, NOINIT->battery_uv / 1000u);
        uint32_t frac = NOINIT->battery_uv % 1000u;   /* to the microvolt */
        sf_char(&sf, '.');
        sf_char(&sf, (char)('0' + frac / 100u));
        sf_char(&sf, (char)('0' + frac / 10u % 10u));
        sf_char(&sf, (char)('0' + frac % 10u));
        sf_str(&sf, " link_errors=");
        sf_u32(&sf, link_errors);
        sf_str(&sf, " hw=");
        sf_char(&sf, hw_rev());
    } else if (starts_with(cmd, "battery-set ")) {
        uint32_t mv = 0;
        if (parse_u32(cmd + 12, &mv) == 0 && mv <= 5000u) {
            NOINIT->battery_uv = mv * 1000u;
            sf_str(&sf, "OK battery-set ");
            sf_u32(&sf, mv);
        } else {
            sf_str(&sf, "ERR battery-set wants millivolts, 0-5000");
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
        link_errors++;
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
    case LINE_BAD:
        link_errors++;
        put_line(0, "? unknown command");
        break;
    default: break;
    }
}

int main(void)
{
    char line[48];
    struct strfmt sf;

    running = (uint32_t)__vectors >= SLOT_B_BASE ? SLOT_B : SLOT_A;
    boot_cause = NOINIT->boot_magic == BOOTINFO_MAGIC ? NOINIT->boot_cause : RC_POWER_ON;
    app_state_init();
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
#ifdef APP_CRASH_REV
    if (hw_rev() == (char)APP_CRASH_REV) {
        sensor_init_rev();
    }
#endif
#ifdef APP_HANG
    for (;;) {
    }
#endif

    linebuf_reset(&con);
    ota_init(&ota, &flash_hw, &journal, running, 1 - running);
    smp_link_init(&smp_link);
    smp_img_init(&smp_img, &ota, &journal, &flash_hw, running, smp_confirm, 0);
    board_idle_init();   /* and the ticks */
    uint32_t since_feed = 0;
    for (;;) {
        uint32_t ms = board_ticks_elapsed_ms();
        since_feed += ms;
        uptime_ms += ms;
        battery_drain(ms);
        if (since_feed >= FEED_INTERVAL_MS) {
            board_wdog_feed();
            since_feed = 0;
        }
        int c = uart_getc();
        if (c < 0) {
            board_idle();   /* until a byte or the next tick */
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
