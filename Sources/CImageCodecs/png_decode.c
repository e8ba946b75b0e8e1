// png_decode.c — PNG header and decode from memory with libpng; errors longjmp only within this file.
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include "codec_internal.h"

/// Largest single ancillary chunk libpng may allocate (iCCP, zTXt, … after decompression).
#define GSIMG_PNG_CHUNK_MALLOC_MAX (16u * 1024u * 1024u)
/// Most ancillary chunks (text, sPLT, unknown) libpng keeps before it ignores the rest.
#define GSIMG_PNG_CHUNK_CACHE_MAX 256u

/// Lives on the heap: libpng callbacks change it between setjmp and longjmp.
typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    int truncated;
    int failed;
    char text[200];
} png_read_context;

static void read_from_memory(png_structp png, png_bytep out, size_t length) {
    png_read_context *context = png_get_io_ptr(png);
    if (length > context->size - context->offset) {
        context->truncated = 1;
        png_error(png, "truncated");
    }
    memcpy(out, context->data + context->offset, length);
    context->offset += length;
}

static void on_error(png_structp png, png_const_charp text) {
    png_read_context *context = png_get_error_ptr(png);
    if (!context->failed) {
        context->failed = 1;
        gsimg_format_message(context->text, sizeof context->text, "%s", text ? text : "libpng error");
    }
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static uint32_t read_be32(const uint8_t *bytes) {
    return ((uint32_t)bytes[0] << 24) | ((uint32_t)bytes[1] << 16) | ((uint32_t)bytes[2] << 8) | bytes[3];
}

/// Bits per pixel for a legal colour type / bit depth pair, 0 otherwise.
static unsigned bits_per_pixel(unsigned color_type, unsigned bit_depth) {
    unsigned channels = color_type == 0 ? 1 : color_type == 2 ? 3 : color_type == 3 ? 1 : color_type == 4 ? 2
                      : color_type == 6 ? 4 : 0;
    return channels * bit_depth;
}

/// Checks the signature, IHDR and the chunk structure before libpng sees the data, for precise messages
/// and because libpng 1.6 allocates (and zeroes) whatever length a metadata chunk claims.
static gsimg_status precheck(const uint8_t *data, size_t size, char *message, size_t capacity) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    size_t compared = size < 8 ? size : 8;
    if (memcmp(data, signature, compared) != 0) {
        gsimg_format_message(message, capacity, "damaged PNG signature (was the file converted as text?)");
        return GSIMG_CORRUPT;
    }
    if (size < 8 + 8 + 13 + 4) {
        gsimg_format_message(message, capacity, "truncated PNG: the file ends after %zu bytes, inside the header", size);
        return GSIMG_TRUNCATED;
    }
    if (read_be32(data + 8) != 13 || memcmp(data + 12, "IHDR", 4) != 0) {
        gsimg_format_message(message, capacity, "corrupt PNG: the first chunk is not a 13-byte IHDR");
        return GSIMG_CORRUPT;
    }
    uint32_t width = read_be32(data + 16), height = read_be32(data + 20);
    if (width == 0 || height == 0) {
        gsimg_format_message(message, capacity, "zero-sized image (%u×%u pixels)", width, height);
        return GSIMG_ZERO_SIZE;
    }
    // Walk the chunks: every length must fit in the file; metadata chunks stay under the malloc cap.
    uint64_t image_data = 0;
    size_t offset = 8;
    for (;;) {
        if (size - offset < 12) {
            gsimg_format_message(message, capacity,
                                 "truncated PNG: the file ends after %zu bytes, before the IEND chunk", size);
            return GSIMG_TRUNCATED;
        }
        uint32_t length = read_be32(data + offset);
        char type[5] = {0};
        memcpy(type, data + offset + 4, 4);
        for (int i = 0; i < 4; i++) if (!((type[i] >= 'A' && type[i] <= 'Z') || (type[i] >= 'a' && type[i] <= 'z'))) type[i] = '?';
        if (length > 0x7fffffffu) {
            gsimg_format_message(message, capacity, "corrupt PNG: the %s chunk claims %u bytes", type, length);
            return GSIMG_CORRUPT;
        }
        if (length > size - offset - 12) {
            gsimg_format_message(message, capacity,
                                 "truncated PNG: the file ends after %zu bytes, inside the %s chunk (which claims %u bytes)",
                                 size, type, length);
            return GSIMG_TRUNCATED;
        }
        int is_idat = memcmp(data + offset + 4, "IDAT", 4) == 0;
        int is_iend = memcmp(data + offset + 4, "IEND", 4) == 0;
        if (!is_idat && length > GSIMG_PNG_CHUNK_MALLOC_MAX) {
            gsimg_format_message(message, capacity, "PNG metadata chunk %s is %u bytes, over the limit of %u",
                                 type, length, GSIMG_PNG_CHUNK_MALLOC_MAX);
            return GSIMG_TOO_LARGE;
        }
        if (is_idat) image_data += length;
        offset += 12 + (size_t)length;
        if (is_iend) break;
    }
    // Deflate expands at most 1032:1, so a few bytes of IDAT cannot hold a large image.
    unsigned bits = bits_per_pixel(data[25], data[24]);
    uint64_t packed_row = ((uint64_t)width * (bits ? bits : 1) + 7) / 8;
    uint64_t least_raw = packed_row * height;
    if (least_raw / 1032 > image_data + 1) {
        gsimg_format_message(message, capacity,
                             "corrupt PNG: %llu bytes of image data cannot hold a %u×%u image",
                             (unsigned long long)image_data, width, height);
        return GSIMG_CORRUPT;
    }
    return GSIMG_OK;
}

/// Sets the transforms that turn any PNG into RGB/RGBA 8/16-bit and reports the resulting layout.
static void configure(png_structp png, png_infop info, gsimg_info *layout) {
    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    const int has_alpha = (color_type & PNG_COLOR_MASK_ALPHA) != 0;
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS) && !has_alpha) png_set_tRNS_to_alpha(png);
    if ((color_type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
    if (bit_depth == 16 && gsimg_host_is_little_endian()) png_set_swap(png);
    if (interlace != PNG_INTERLACE_NONE) png_set_interlace_handling(png);
    png_read_update_info(png, info);

    layout->width = width;
    layout->height = height;
    layout->channels = png_get_channels(png, info);
    layout->bytes_per_sample = png_get_bit_depth(png, info) == 16 ? 2 : 1;
    size_t expected_row = (size_t)width * layout->channels * layout->bytes_per_sample;
    if ((layout->channels != 3 && layout->channels != 4) || png_get_rowbytes(png, info) != expected_row)
        png_error(png, "unexpected layout after PNG transforms");
}

/// Shared by header and decode: `pixels == NULL` stops after the header.
static gsimg_status read_png(const uint8_t *data, size_t size, gsimg_info *layout, const gsimg_info *expected,
                             uint8_t *pixels, size_t pixels_size, char *message, size_t capacity) {
    if (data == NULL || size == 0) {
        gsimg_format_message(message, capacity, "empty PNG data");
        return GSIMG_TRUNCATED;
    }
    gsimg_status pre = precheck(data, size, message, capacity);
    if (pre != GSIMG_OK) return pre;

    png_read_context *context = calloc(1, sizeof *context);
    png_bytep *rows = NULL;
    if (pixels != NULL) {
        if (expected == NULL || !gsimg_buffer_matches(expected, pixels_size)) {
            free(context);
            gsimg_format_message(message, capacity, "PNG decode: the pixel buffer does not match the layout");
            return GSIMG_INVALID_ARGUMENT;
        }
        rows = malloc(sizeof(png_bytep) * (expected->height ? expected->height : 1));
    }
    png_structp png = context ? png_create_read_struct(PNG_LIBPNG_VER_STRING, context, on_error, on_warning) : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (context == NULL || png == NULL || info == NULL || (pixels != NULL && rows == NULL)) {
        if (png) png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        free(rows);
        free(context);
        gsimg_format_message(message, capacity, "out of memory starting the PNG decoder");
        return GSIMG_OUT_OF_MEMORY;
    }
    context->data = data;
    context->size = size;

    gsimg_status status = GSIMG_OK;
    if (setjmp(png_jmpbuf(png))) {
        if (context->truncated) {
            gsimg_format_message(message, capacity, "truncated PNG: the file ends after %zu bytes, before the image data is complete", size);
            status = GSIMG_TRUNCATED;
        } else if (strstr(context->text, "memory") != NULL || strstr(context->text, "too large") != NULL) {
            gsimg_format_message(message, capacity, "PNG needs too much memory: %s", context->text);
            status = GSIMG_TOO_LARGE;
        } else {
            gsimg_format_message(message, capacity, "corrupt PNG data: %s", context->text);
            status = GSIMG_CORRUPT;
        }
    } else {
        png_set_read_fn(png, context, read_from_memory);
        png_set_user_limits(png, 0x7fffffffu, 0x7fffffffu);  // the caller applies its own pixel limit
        png_set_chunk_cache_max(png, GSIMG_PNG_CHUNK_CACHE_MAX);
        png_set_chunk_malloc_max(png, GSIMG_PNG_CHUNK_MALLOC_MAX);
        png_read_info(png, info);
        configure(png, info, layout);
        if (pixels != NULL) {
            if (memcmp(layout, expected, sizeof *layout) != 0)
                png_error(png, "the image layout differs from the header read before");
            size_t row_bytes = (size_t)layout->width * layout->channels * layout->bytes_per_sample;
            for (uint32_t y = 0; y < layout->height; y++) rows[y] = pixels + (size_t)y * row_bytes;
            png_read_image(png, rows);
            png_read_end(png, NULL);
        }
    }
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    free(context);
    return status;
}

gsimg_status gsimg_png_header(const uint8_t *data, size_t size, gsimg_info *info,
                              char *message, size_t message_capacity) {
    if (info == NULL) return GSIMG_INVALID_ARGUMENT;
    memset(info, 0, sizeof *info);
    return read_png(data, size, info, NULL, NULL, 0, message, message_capacity);
}

gsimg_status gsimg_png_decode(const uint8_t *data, size_t size, const gsimg_info *expected,
                              uint8_t *pixels, size_t pixels_size,
                              char *message, size_t message_capacity) {
    gsimg_info layout;
    memset(&layout, 0, sizeof layout);
    if (pixels == NULL) {
        gsimg_format_message(message, message_capacity, "PNG decode: no pixel buffer");
        return GSIMG_INVALID_ARGUMENT;
    }
    return read_png(data, size, &layout, expected, pixels, pixels_size, message, message_capacity);
}
