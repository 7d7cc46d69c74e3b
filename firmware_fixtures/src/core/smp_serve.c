#include "smp_serve.h"
#include "cbor.h"
#include "report.h"
#include "smp_os.h"

static int reset_requested;

static int os_reset(void *ctx, const uint8_t *body, uint32_t n, struct cbor_writer *w, const char **reason)
{
    (void)ctx;
    (void)body;
    (void)n;
    (void)reason;
    cbor_put_map(w, 0);
    reset_requested = 1;   /* after the answer has gone out */
    return 0;
}

static const struct smp_command commands[] = {
    {SMP_GROUP_OS, SMP_OS_ECHO, SMP_OP_WRITE, smp_os_echo},
    {SMP_GROUP_OS, SMP_OS_RESET, SMP_OP_WRITE, os_reset},
    {SMP_GROUP_OS, SMP_OS_PARAMS, SMP_OP_READ, smp_os_params},
    {SMP_GROUP_IMAGE, SMP_IMG_STATE, SMP_OP_READ, smp_img_state_read},
    {SMP_GROUP_IMAGE, SMP_IMG_STATE, SMP_OP_WRITE, smp_img_state_write},
    {SMP_GROUP_IMAGE, SMP_IMG_UPLOAD, SMP_OP_WRITE, smp_img_upload},
};

static uint8_t rsp[SMP_BUF_SIZE];

int smp_serve(const struct smp_link *link, struct smp_img *img, smp_put_fn write, void *ctx)
{
    uint32_t len;
    const uint8_t *msg = smp_link_message(link, &len);
    reset_requested = 0;
    /* Handlers that hash or program flash feed the watchdog through flash_ops. */
    uint32_t n = smp_dispatch(commands, sizeof commands / sizeof commands[0], img, msg, len, rsp, sizeof rsp);
    if (img->refused.code) {
        /* Also on the console, for the person (or test) reading it; before
         * the answer, so a client that has the answer has the line too. */
        char line[80];
        struct strfmt sf;
        sf_init(&sf, line, sizeof line - 2);
        report_refused(&sf, img->refused.code, img->refused.detail, img->ota->target);
        uint32_t k = 0;
        while (line[k]) {
            k++;
        }
        line[k++] = '\r';
        line[k++] = '\n';
        write(ctx, (const uint8_t *)line, k);
        img->refused.code = 0;
    }
    if (n) {
        smp_send(rsp, n, write, ctx);
    }
    return reset_requested;
}
