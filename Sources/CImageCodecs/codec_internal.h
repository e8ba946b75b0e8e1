// codec_internal.h — helpers shared by the codec files: message formatting, a growable output buffer.
#ifndef GPUSTYLE_CODEC_INTERNAL_H
#define GPUSTYLE_CODEC_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "image_codecs.h"

/// Writes a printf-style message into the caller's buffer (truncated, always NUL-terminated).
void gsimg_format_message(char *message, size_t capacity, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/// A malloc'd byte buffer that grows by doubling.
typedef struct {
    uint8_t *bytes;
    size_t size;
    size_t capacity;
} gsimg_growable;

/// Appends `length` bytes; returns 0 when memory runs out (the buffer is left as it was).
int gsimg_growable_append(gsimg_growable *buffer, const uint8_t *bytes, size_t length);

/// 1 on a little-endian host.
int gsimg_host_is_little_endian(void);

/// Checks the caller's buffer: `pixels_size` must be exactly width × height × channels × bytes_per_sample.
int gsimg_buffer_matches(const gsimg_info *info, size_t pixels_size);

#endif
