// png_fixtures.c — test-only PNG writer for every colour type, bit depth, interlace and tRNS variant.
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "image_test_fixtures.h"

typedef struct {
    uint8_t *bytes;
    size_t size, capacity;
    uint8_t *packed;
    png_bytep *rows;
    char text[200];
} png_fixture_context;

static void append(png_structp png, png_bytep bytes, size_t length) {
    png_fixture_context *context = png_get_io_ptr(png);
    if (context->size + length > context->capacity) {
        size_t capacity = context->capacity ? context->capacity : 1024;
        while (capacity < context->size + length) capacity *= 2;
        uint8_t *grown = realloc(context->bytes, capacity);
        if (grown == NULL) png_error(png, "out of memory");
        context->bytes = grown;
        context->capacity = capacity;
    }
    memcpy(context->bytes + context->size, bytes, length);
    context->size += length;
}

static void flush_nothing(png_structp png) { (void)png; }

static void on_error(png_structp png, png_const_charp text) {
    png_fixture_context *context = png_get_error_ptr(png);
    snprintf(context->text, sizeof context->text, "%s", text);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) { (void)png; (void)text; }

static int channels_for(int color_type) {
    switch (color_type) {
    case 0: case 3: return 1;
    case 4: return 2;
    case 2: return 3;
    case 6: return 4;
    default: return 0;
    }
}

/// Packs one row of samples at `bit_depth` (MSB first below 8 bits, big-endian at 16).
static void pack_row(const uint16_t *samples, size_t count, int bit_depth, uint8_t *row) {
    if (bit_depth == 16) {
        for (size_t i = 0; i < count; i++) { row[2 * i] = (uint8_t)(samples[i] >> 8); row[2 * i + 1] = (uint8_t)samples[i]; }
    } else if (bit_depth == 8) {
        for (size_t i = 0; i < count; i++) row[i] = (uint8_t)samples[i];
    } else {
        size_t per_byte = 8 / (size_t)bit_depth;
        memset(row, 0, (count + per_byte - 1) / per_byte);
        for (size_t i = 0; i < count; i++) {
            unsigned shift = (unsigned)(8 - bit_depth * (int)(i % per_byte + 1));
            row[i / per_byte] |= (uint8_t)((samples[i] & ((1u << bit_depth) - 1)) << shift);
        }
    }
}

int fixture_png_encode(const uint16_t *samples, uint32_t width, uint32_t height, int color_type, int bit_depth,
                       int interlaced, const uint8_t *palette_rgb, int palette_count,
                       const uint8_t *trns, int trns_count, const uint16_t *trns_color,
                       uint8_t **out, size_t *out_size, char *message, size_t message_capacity) {
    int channels = channels_for(color_type);
    if (channels == 0 || width == 0 || height == 0) {
        snprintf(message, message_capacity, "bad fixture arguments");
        return -1;
    }
    png_fixture_context *context = calloc(1, sizeof *context);
    size_t samples_per_row = (size_t)width * channels;
    size_t row_bytes = (samples_per_row * bit_depth + 7) / 8;
    context->packed = malloc(row_bytes * height);
    context->rows = malloc(sizeof(png_bytep) * height);
    for (uint32_t y = 0; y < height; y++) {
        context->rows[y] = context->packed + (size_t)y * row_bytes;
        pack_row(samples + (size_t)y * samples_per_row, samples_per_row, bit_depth, context->rows[y]);
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, context, on_error, on_warning);
    png_infop info = png_create_info_struct(png);
    int result = 0;
    if (setjmp(png_jmpbuf(png))) {
        snprintf(message, message_capacity, "%s", context->text);
        result = -1;
    } else {
        png_set_write_fn(png, context, append, flush_nothing);
        png_set_IHDR(png, info, width, height, bit_depth, color_type,
                     interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        if (color_type == 3) {
            png_color palette[256];
            for (int i = 0; i < palette_count && i < 256; i++) {
                palette[i].red = palette_rgb[3 * i];
                palette[i].green = palette_rgb[3 * i + 1];
                palette[i].blue = palette_rgb[3 * i + 2];
            }
            png_set_PLTE(png, info, palette, palette_count);
            if (trns != NULL && trns_count > 0) png_set_tRNS(png, info, trns, trns_count, NULL);
        } else if (trns_color != NULL) {
            png_color_16 color;
            memset(&color, 0, sizeof color);
            color.gray = trns_color[0];
            color.red = trns_color[0];
            if (color_type == 2) { color.green = trns_color[1]; color.blue = trns_color[2]; }
            png_set_tRNS(png, info, NULL, 0, &color);
        }
        png_write_info(png, info);
        if (interlaced) png_set_interlace_handling(png);
        png_write_image(png, context->rows);
        png_write_end(png, info);
    }
    png_destroy_write_struct(&png, &info);
    if (result == 0) {
        *out = context->bytes;
        *out_size = context->size;
    } else {
        free(context->bytes);
    }
    free(context->packed);
    free(context->rows);
    free(context);
    return result;
}

void fixture_free(void *buffer) { free(buffer); }
