// jpeg_decode.c — JPEG header and decode from memory with libjpeg-turbo; errors longjmp only within this file.
#include <stdio.h>
#include <limits.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include "codec_internal.h"

/// More scans than any real progressive JPEG has; guards against "scan bombs" (libjpeg-turbo's tools use 500).
#define GSIMG_JPEG_MAX_SCANS 500

/// Everything libjpeg changes between setjmp and longjmp lives here, on the heap.
typedef struct {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr error;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    gsimg_status status;
    char text[JMSG_LENGTH_MAX + 64];
} jpeg_read_context;

static gsimg_status status_for_error(int code) {
    switch (code) {
    case JERR_EMPTY_IMAGE: return GSIMG_ZERO_SIZE;
    case JERR_BAD_PRECISION:
    case JERR_SOF_UNSUPPORTED:
    case JERR_ARITH_NOTIMPL:
    case JERR_CONVERSION_NOTIMPL: return GSIMG_UNSUPPORTED;
    case JERR_IMAGE_TOO_BIG:
    case JERR_WIDTH_OVERFLOW:
    case JERR_NO_BACKING_STORE: return GSIMG_TOO_LARGE;
    case JERR_OUT_OF_MEMORY: return GSIMG_OUT_OF_MEMORY;
    case JERR_INPUT_EOF:
    case JERR_INPUT_EMPTY: return GSIMG_TRUNCATED;
    default: return GSIMG_CORRUPT;
    }
}

static void fail(j_common_ptr cinfo, gsimg_status status) {
    jpeg_read_context *context = cinfo->client_data;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    context->status = status;
    gsimg_format_message(context->text, sizeof context->text, "%s", text);
    longjmp(context->jump, 1);
}

static void on_error_exit(j_common_ptr cinfo) { fail(cinfo, status_for_error(cinfo->err->msg_code)); }

/// Warnings that mean the picture is missing or damaged become errors; the harmless rest is ignored.
static void on_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;
    switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF: fail(cinfo, GSIMG_TRUNCATED); break;
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
    case JWRN_BOGUS_PROGRESSION: fail(cinfo, GSIMG_CORRUPT); break;
    default: break;
    }
}

static void check_scan_count(j_common_ptr cinfo) {
    if (!cinfo->is_decompressor) return;
    j_decompress_ptr decompress = (j_decompress_ptr)cinfo;
    if (decompress->input_scan_number > GSIMG_JPEG_MAX_SCANS) {
        jpeg_read_context *context = cinfo->client_data;
        context->status = GSIMG_CORRUPT;
        gsimg_format_message(context->text, sizeof context->text,
                             "more than %d progressive scans", GSIMG_JPEG_MAX_SCANS);
        longjmp(context->jump, 1);
    }
}

/// After jpeg_read_header: picks the output colour space and reports the layout (always RGB8).
static void configure(jpeg_read_context *context, gsimg_info *layout) {
    struct jpeg_decompress_struct *cinfo = &context->cinfo;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
    case JCS_RGB:
    case JCS_YCbCr: cinfo->out_color_space = JCS_RGB; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo->out_color_space = JCS_CMYK; break;
    default:
        context->status = GSIMG_UNSUPPORTED;
        gsimg_format_message(context->text, sizeof context->text,
                             "JPEG with %d colour components in an unknown colour space", cinfo->num_components);
        longjmp(context->jump, 1);
    }
    jpeg_calc_output_dimensions(cinfo);
    layout->width = cinfo->output_width;
    layout->height = cinfo->output_height;
    layout->channels = 3;
    layout->bytes_per_sample = 1;
}

/// CMYK (Adobe files store it inverted: 0 means full ink) to RGB, one row.
static void cmyk_row_to_rgb(const JSAMPLE *cmyk, uint8_t *rgb, uint32_t width, int inverted) {
    for (uint32_t x = 0; x < width; x++) {
        unsigned c = cmyk[4 * x], m = cmyk[4 * x + 1], y = cmyk[4 * x + 2], k = cmyk[4 * x + 3];
        if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        rgb[3 * x] = (uint8_t)((c * k + 127) / 255);
        rgb[3 * x + 1] = (uint8_t)((m * k + 127) / 255);
        rgb[3 * x + 2] = (uint8_t)((y * k + 127) / 255);
    }
}

/// Shared by header and decode: `pixels == NULL` stops after the header.
static gsimg_status read_jpeg(const uint8_t *data, size_t size, gsimg_info *layout, const gsimg_info *expected,
                              uint8_t *pixels, size_t pixels_size, char *message, size_t capacity) {
    if (data == NULL || size == 0) {
        gsimg_format_message(message, capacity, "empty JPEG data");
        return GSIMG_TRUNCATED;
    }
    if (pixels != NULL && (expected == NULL || !gsimg_buffer_matches(expected, pixels_size))) {
        gsimg_format_message(message, capacity, "JPEG decode: the pixel buffer does not match the layout");
        return GSIMG_INVALID_ARGUMENT;
    }
    jpeg_read_context *context = calloc(1, sizeof *context);
    if (context == NULL) {
        gsimg_format_message(message, capacity, "out of memory starting the JPEG decoder");
        return GSIMG_OUT_OF_MEMORY;
    }
    struct jpeg_decompress_struct *cinfo = &context->cinfo;
    cinfo->err = jpeg_std_error(&context->error);
    context->error.error_exit = on_error_exit;
    context->error.emit_message = on_message;
    cinfo->client_data = context;

    gsimg_status status = GSIMG_OK;
    if (setjmp(context->jump)) {
        status = context->status;
        switch (status) {
        case GSIMG_TRUNCATED:
            gsimg_format_message(message, capacity, "truncated JPEG: %s (the data ends after %zu bytes)", context->text, size);
            break;
        case GSIMG_ZERO_SIZE: gsimg_format_message(message, capacity, "zero-sized image: %s", context->text); break;
        case GSIMG_UNSUPPORTED: gsimg_format_message(message, capacity, "unsupported JPEG: %s", context->text); break;
        case GSIMG_TOO_LARGE:
            gsimg_format_message(message, capacity, "JPEG too large to decode: %s", context->text);
            break;
        case GSIMG_OUT_OF_MEMORY: gsimg_format_message(message, capacity, "out of memory: %s", context->text); break;
        default: gsimg_format_message(message, capacity, "corrupt JPEG data: %s", context->text); break;
        }
    } else {
        jpeg_create_decompress(cinfo);
        jpeg_mem_src(cinfo, data, (unsigned long)size);
        (void)jpeg_read_header(cinfo, TRUE);
        configure(context, layout);
        if (pixels != NULL) {
            if (memcmp(layout, expected, sizeof *layout) != 0) {
                context->status = GSIMG_INVALID_ARGUMENT;
                gsimg_format_message(context->text, sizeof context->text, "layout differs from the header read before");
                longjmp(context->jump, 1);
            }
            // Coefficient buffers of progressive images: at most 2 bytes per component per (padded) pixel.
            size_t pixel_count = (size_t)layout->width * layout->height;
            size_t limit = (size_t)64 * 1024 * 1024;
            if (pixel_count <= (SIZE_MAX - limit) / 16) limit += pixel_count * 16;
            cinfo->mem->max_memory_to_use = limit > (size_t)LONG_MAX ? LONG_MAX : (long)limit;
            context->progress.progress_monitor = check_scan_count;
            cinfo->progress = &context->progress;

            jpeg_start_decompress(cinfo);
            if (cinfo->output_width != layout->width || cinfo->output_height != layout->height) {
                context->status = GSIMG_INVALID_ARGUMENT;
                gsimg_format_message(context->text, sizeof context->text, "output size changed while decoding");
                longjmp(context->jump, 1);
            }
            const int cmyk = cinfo->out_color_space == JCS_CMYK;
            const int inverted = cinfo->saw_Adobe_marker;
            JSAMPARRAY cmyk_row = cmyk ? (*cinfo->mem->alloc_sarray)((j_common_ptr)cinfo, JPOOL_IMAGE,
                                                                      layout->width * 4, 1) : NULL;
            const size_t row_bytes = (size_t)layout->width * 3;
            while (cinfo->output_scanline < cinfo->output_height) {
                uint8_t *row = pixels + (size_t)cinfo->output_scanline * row_bytes;
                if (cmyk) {
                    if (jpeg_read_scanlines(cinfo, cmyk_row, 1) != 1) break;
                    cmyk_row_to_rgb(cmyk_row[0], row, layout->width, inverted);
                } else {
                    JSAMPROW target = row;
                    if (jpeg_read_scanlines(cinfo, &target, 1) != 1) break;
                }
            }
            jpeg_finish_decompress(cinfo);
        }
    }
    jpeg_destroy_decompress(cinfo);
    free(context);
    return status;
}

gsimg_status gsimg_jpeg_header(const uint8_t *data, size_t size, gsimg_info *info,
                               char *message, size_t message_capacity) {
    if (info == NULL) return GSIMG_INVALID_ARGUMENT;
    memset(info, 0, sizeof *info);
    return read_jpeg(data, size, info, NULL, NULL, 0, message, message_capacity);
}

gsimg_status gsimg_jpeg_decode(const uint8_t *data, size_t size, const gsimg_info *expected,
                               uint8_t *pixels, size_t pixels_size,
                               char *message, size_t message_capacity) {
    gsimg_info layout;
    memset(&layout, 0, sizeof layout);
    if (pixels == NULL) {
        gsimg_format_message(message, message_capacity, "JPEG decode: no pixel buffer");
        return GSIMG_INVALID_ARGUMENT;
    }
    return read_jpeg(data, size, &layout, expected, pixels, pixels_size, message, message_capacity);
}
