#include "runner.h"
#include "../hw/board.h"
#include "../hw/cortexm.h"
#include "../hw/uart.h"
#include "../core/strfmt.h"

#if !defined(UNIT_FORMAT_UNITY) && !defined(UNIT_FORMAT_FIXTURE) && !defined(UNIT_FORMAT_ZTEST)
#error "define one of UNIT_FORMAT_UNITY, UNIT_FORMAT_FIXTURE, UNIT_FORMAT_ZTEST"
#endif

enum { RESULT_PASS, RESULT_FAIL, RESULT_SKIP };

static int result;
static const char *fail_file;
static int fail_line;
static char fail_msg[96];

/* SysTick as a free-running down-counter at the core clock (25 MHz on
 * QEMU mps2-an385, 16 MHz on the STM32F4): case durations for the formats
 * that print them. */
#define CORE_HZ BOARD_CPU_HZ

static void put(const char *s)
{
    uart_puts(s);
}

static void put_u32(uint32_t v)
{
    char buf[12];
    struct strfmt sf;
    sf_init(&sf, buf, sizeof buf);
    sf_u32(&sf, v);
    put(buf);
}

static void put_hex(uint32_t v)
{
    char buf[12];
    struct strfmt sf;
    sf_init(&sf, buf, sizeof buf);
    sf_str(&sf, "0x");
    sf_hex32(&sf, v);
    put(buf);
}

static void record(const char *file, int line)
{
    if (result == RESULT_PASS) {  /* the first failure is the one reported */
        result = RESULT_FAIL;
        fail_file = file;
        fail_line = line;
    }
}

void unit_fail(const char *file, int line, const char *expr, const char *message)
{
    struct strfmt sf;
    if (result != RESULT_PASS) {
        return;
    }
    record(file, line);
    sf_init(&sf, fail_msg, sizeof fail_msg);
    sf_str(&sf, message ? message : expr);
}

void unit_fail_u32(const char *file, int line, const char *expr, uint32_t expected, uint32_t actual)
{
    struct strfmt sf;
    (void)expr;
    if (result != RESULT_PASS) {
        return;
    }
    record(file, line);
    sf_init(&sf, fail_msg, sizeof fail_msg);
    sf_str(&sf, "Expected 0x");
    sf_hex32(&sf, expected);
    sf_str(&sf, " Was 0x");
    sf_hex32(&sf, actual);
}

void unit_skip(const char *file, int line)
{
    result = RESULT_SKIP;
    fail_file = file;
    fail_line = line;
}

int unit_failed(void)
{
    return result == RESULT_FAIL;
}

/* The file name as __FILE__ gives it, from its last '/' on. */
static const char *base(const char *path)
{
    const char *b = path;
    for (const char *p = path; *p; p++) {
        if (*p == '/') {
            b = p + 1;
        }
    }
    return b;
}

#if defined(UNIT_FORMAT_ZTEST)
static void line_rule(void)
{
    put("===================================================================\r\n");
}
#endif

static void before(const struct unit_case *c)
{
#if defined(UNIT_FORMAT_FIXTURE)
    put("TEST(");
    put(c->suite);
    put(", ");
    put(c->name);
    put(")");
#elif defined(UNIT_FORMAT_ZTEST)
    put("START - ");
    put(c->name);
    put("\r\n");
#else
    (void)c;
#endif
}

static void after(const struct unit_case *c, uint32_t ms)
{
#if defined(UNIT_FORMAT_UNITY)
    put(base(result == RESULT_PASS ? c->file : fail_file));
    put(":");
    put_u32((uint32_t)(result == RESULT_PASS ? c->line : fail_line));
    put(":");
    put(c->name);
    put(result == RESULT_PASS ? ":PASS" : result == RESULT_SKIP ? ":IGNORE" : ":FAIL: ");
    if (result == RESULT_FAIL) {
        put(fail_msg);
    }
    put("\r\n");
    (void)ms;
#elif defined(UNIT_FORMAT_FIXTURE)
    (void)c;
    if (result == RESULT_PASS) {
        put(" PASS\r\n");
    } else {
        put(base(fail_file));
        put(":");
        put_u32((uint32_t)fail_line);
        put(result == RESULT_SKIP ? "::IGNORE\r\n" : "::FAIL: ");
        if (result == RESULT_FAIL) {
            put(fail_msg);
            put("\r\n");
        }
    }
    (void)ms;
#else
    if (result == RESULT_FAIL) {
        put("\r\n    Assertion failed at ");
        put(base(fail_file));
        put(":");
        put_u32((uint32_t)fail_line);
        put(": ");
        put(c->suite);
        put("_");
        put(c->name);
        put(": ");
        put(fail_msg);
        put("\r\n");
    }
    put(result == RESULT_PASS ? " PASS - " : result == RESULT_SKIP ? " SKIP - " : " FAIL - ");
    put(c->name);
    put(" in ");
    put_u32(ms / 1000u);
    put(".");
    put_u32((ms % 1000u) / 100u);
    put_u32((ms % 100u) / 10u);
    put_u32(ms % 10u);
    put(" seconds\r\n");
    line_rule();
#endif
}

static uint32_t elapsed_ms(uint32_t start)
{
    uint32_t now = SYST_CVR;
    return ((start - now) & 0xFFFFFFu) / (CORE_HZ / 1000u);
}

int unit_run(const struct unit_case *const *cases, int count)
{
    int failures = 0, ignored = 0, suite_failures = 0;
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 0x5u;  /* enable, core clock, no interrupt */
#if defined(UNIT_FORMAT_FIXTURE)
    put("Unity test run 1 of 1\r\n");
#endif
    for (int i = 0; i < count; i++) {
        const struct unit_case *c = cases[i];
#if defined(UNIT_FORMAT_ZTEST)
        if (i == 0 || cases[i - 1]->suite != c->suite) {
            put("Running TESTSUITE ");
            put(c->suite);
            put("\r\n");
            line_rule();
            suite_failures = 0;
        }
#endif
        result = RESULT_PASS;
        before(c);
        uint32_t start = SYST_CVR;
        c->fn();
        after(c, elapsed_ms(start));
        failures += result == RESULT_FAIL;
        suite_failures += result == RESULT_FAIL;
        ignored += result == RESULT_SKIP;
#if defined(UNIT_FORMAT_ZTEST)
        if (i + 1 == count || cases[i + 1]->suite != c->suite) {
            put("TESTSUITE ");
            put(c->suite);
            put(suite_failures ? " failed.\r\n" : " succeeded\r\n");
        }
#else
        (void)suite_failures;
#endif
    }
#if defined(UNIT_FORMAT_ZTEST)
    line_rule();
    put(failures ? "PROJECT EXECUTION FAILED\r\n" : "PROJECT EXECUTION SUCCESSFUL\r\n");
#else
    put("\r\n-----------------------\r\n");
    put_u32((uint32_t)count);
    put(" Tests ");
    put_u32((uint32_t)failures);
    put(" Failures ");
    put_u32((uint32_t)ignored);
    put(" Ignored \r\n");
    put(failures ? "FAIL\r\n" : "OK\r\n");
#endif
    return failures;
}

/* A fault while a case runs: print the stacked PC and LR (the collector
 * symbolizes them from the ELF), then reset, as a board's fault handler would. */
void unit_fault(const uint32_t *frame);
void unit_fault(const uint32_t *frame)
{
    uart_flush();
    put("\r\n*** HardFault pc=");
    put_hex(frame[6]);
    put(" lr=");
    put_hex(frame[5]);
    put("\r\n");
    uart_flush();
    SCB_AIRCR = AIRCR_SYSRESETREQ;
    for (;;) {
    }
}

__attribute__((naked)) void HardFault_Handler(void)
{
    __asm volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "b unit_fault\n");
}
