// jpeg_encode.c — 8-bit RGB JPEG encoding into memory with libjpeg-turbo; errors longjmp only within this file.
#include <stdio.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include "codec_internal.h"

/// Everything libjpeg changes between setjmp and longjmp lives here, on the heap.
typedef struct {
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr error;
    jmp_buf jump;
    unsigned char *output;
    unsigned long output_size;
    char text[JMSG_LENGTH_MAX];
} jpeg_write_context;

static void on_error_exit(j_common_ptr cinfo) {
    jpeg_write_context *context = cinfo->client_data;
    (*cinfo->err->format_message)(cinfo, context->text);
    longjmp(context->jump, 1);
}

static void on_message(j_common_ptr cinfo, int level) {
    (void)cinfo;
    (void)level;
}

gsimg_status gsimg_jpeg_encode_rgb8(const uint8_t *rgb, uint32_t width, uint32_t height,
                                    int quality, gsimg_subsampling subsampling,
                                    uint8_t **out, size_t *out_size,
                                    char *message, size_t message_capacity) {
    if (out == NULL || out_size == NULL || rgb == NULL || width == 0 || height == 0 ||
        width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION || quality < 1 || quality > 100) {
        gsimg_format_message(message, message_capacity,
                             "JPEG encode: invalid arguments (%u×%u, quality %d); JPEG allows at most %ld pixels a side",
                             width, height, quality, JPEG_MAX_DIMENSION);
        return width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION ? GSIMG_TOO_LARGE : GSIMG_INVALID_ARGUMENT;
    }
    *out = NULL;
    *out_size = 0;
    jpeg_write_context *context = calloc(1, sizeof *context);
    if (context == NULL) {
        gsimg_format_message(message, message_capacity, "out of memory starting the JPEG encoder");
        return GSIMG_OUT_OF_MEMORY;
    }
    struct jpeg_compress_struct *cinfo = &context->cinfo;
    cinfo->err = jpeg_std_error(&context->error);
    context->error.error_exit = on_error_exit;
    context->error.emit_message = on_message;
    cinfo->client_data = context;
    const size_t row_bytes = (size_t)width * 3;

    gsimg_status status = GSIMG_OK;
    if (setjmp(context->jump)) {
        status = context->error.msg_code == JERR_OUT_OF_MEMORY ? GSIMG_OUT_OF_MEMORY : GSIMG_CORRUPT;
        gsimg_format_message(message, message_capacity, "JPEG encoding failed: %s", context->text);
    } else {
        jpeg_create_compress(cinfo);
        jpeg_mem_dest(cinfo, &context->output, &context->output_size);
        cinfo->image_width = width;
        cinfo->image_height = height;
        cinfo->input_components = 3;
        cinfo->in_color_space = JCS_RGB;
        jpeg_set_defaults(cinfo);
        jpeg_set_quality(cinfo, quality, TRUE);
        const int luma_factor = subsampling == GSIMG_SUBSAMPLING_420 ? 2 : 1;
        cinfo->comp_info[0].h_samp_factor = luma_factor;
        cinfo->comp_info[0].v_samp_factor = luma_factor;
        for (int component = 1; component < 3; component++) {
            cinfo->comp_info[component].h_samp_factor = 1;
            cinfo->comp_info[component].v_samp_factor = 1;
        }
        cinfo->optimize_coding = TRUE;
        jpeg_start_compress(cinfo, TRUE);
        while (cinfo->next_scanline < cinfo->image_height) {
            JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo->next_scanline * row_bytes);
            (void)jpeg_write_scanlines(cinfo, &row, 1);
        }
        jpeg_finish_compress(cinfo);
    }
    jpeg_destroy_compress(cinfo);
    if (status == GSIMG_OK) {
        *out = context->output;
        *out_size = context->output_size;
    } else {
        free(context->output);
    }
    free(context);
    return status;
}
