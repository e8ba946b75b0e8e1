// jpeg_fixtures.c — test-only JPEG writer: gray, RGB, CMYK/YCCK (with or without Adobe marker),
// progressive, arithmetic, and an optional APP1 (Exif) segment.
#include <stdio.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include "image_test_fixtures.h"

typedef struct {
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr error;
    jmp_buf jump;
    unsigned char *output;
    unsigned long output_size;
    char text[JMSG_LENGTH_MAX];
} jpeg_fixture_context;

static void on_error_exit(j_common_ptr cinfo) {
    jpeg_fixture_context *context = cinfo->client_data;
    (*cinfo->err->format_message)(cinfo, context->text);
    longjmp(context->jump, 1);
}

int fixture_jpeg_encode(const uint8_t *samples, uint32_t width, uint32_t height, int components,
                        int quality, int progressive, int arithmetic, int ycck, int adobe_marker,
                        const uint8_t *app1, size_t app1_size,
                        uint8_t **out, size_t *out_size, char *message, size_t message_capacity) {
    if (components != 1 && components != 3 && components != 4) {
        snprintf(message, message_capacity, "bad component count %d", components);
        return -1;
    }
    jpeg_fixture_context *context = calloc(1, sizeof *context);
    struct jpeg_compress_struct *cinfo = &context->cinfo;
    cinfo->err = jpeg_std_error(&context->error);
    context->error.error_exit = on_error_exit;
    cinfo->client_data = context;
    int result = 0;
    if (setjmp(context->jump)) {
        snprintf(message, message_capacity, "%s", context->text);
        result = -1;
    } else {
        jpeg_create_compress(cinfo);
        jpeg_mem_dest(cinfo, &context->output, &context->output_size);
        cinfo->image_width = width;
        cinfo->image_height = height;
        cinfo->input_components = components;
        cinfo->in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
        jpeg_set_defaults(cinfo);
        if (components == 4) {
            jpeg_set_colorspace(cinfo, ycck ? JCS_YCCK : JCS_CMYK);
            cinfo->write_Adobe_marker = adobe_marker ? TRUE : FALSE;
        }
        if (components == 3) {  // 4:4:4 so that test colours survive at block edges
            for (int c = 0; c < 3; c++) { cinfo->comp_info[c].h_samp_factor = 1; cinfo->comp_info[c].v_samp_factor = 1; }
        }
        jpeg_set_quality(cinfo, quality, TRUE);
        if (progressive) jpeg_simple_progression(cinfo);
        if (arithmetic) cinfo->arith_code = TRUE;
        if (app1 != NULL && app1_size > 0) cinfo->write_JFIF_header = FALSE;
        jpeg_start_compress(cinfo, TRUE);
        if (app1 != NULL && app1_size > 0) jpeg_write_marker(cinfo, JPEG_APP0 + 1, app1, (unsigned)app1_size);
        size_t row_bytes = (size_t)width * components;
        while (cinfo->next_scanline < cinfo->image_height) {
            JSAMPROW row = (JSAMPROW)(samples + (size_t)cinfo->next_scanline * row_bytes);
            jpeg_write_scanlines(cinfo, &row, 1);
        }
        jpeg_finish_compress(cinfo);
    }
    jpeg_destroy_compress(cinfo);
    if (result == 0) {
        *out = context->output;
        *out_size = context->output_size;
    } else {
        free(context->output);
    }
    free(context);
    return result;
}
