// codec_common.c — message formatting and the growable buffer used by the encoders.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codec_internal.h"

void gsimg_format_message(char *message, size_t capacity, const char *format, ...) {
    if (message == NULL || capacity == 0) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, capacity, format, arguments);
    va_end(arguments);
    message[capacity - 1] = '\0';
}

int gsimg_growable_append(gsimg_growable *buffer, const uint8_t *bytes, size_t length) {
    if (length > SIZE_MAX - buffer->size) return 0;
    size_t needed = buffer->size + length;
    if (needed > buffer->capacity) {
        size_t capacity = buffer->capacity < 4096 ? 4096 : buffer->capacity;
        while (capacity < needed) {
            if (capacity > SIZE_MAX / 2) { capacity = needed; break; }
            capacity *= 2;
        }
        uint8_t *grown = realloc(buffer->bytes, capacity);
        if (grown == NULL) return 0;
        buffer->bytes = grown;
        buffer->capacity = capacity;
    }
    if (length > 0) memcpy(buffer->bytes + buffer->size, bytes, length);
    buffer->size = needed;
    return 1;
}

int gsimg_host_is_little_endian(void) {
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 1;
}

int gsimg_buffer_matches(const gsimg_info *info, size_t pixels_size) {
    if (info == NULL) return 0;
    if (info->channels != 3 && info->channels != 4) return 0;
    if (info->bytes_per_sample != 1 && info->bytes_per_sample != 2) return 0;
    size_t row = 0, total = 0;
    if (__builtin_mul_overflow((size_t)info->width, (size_t)info->channels * info->bytes_per_sample, &row)) return 0;
    if (__builtin_mul_overflow(row, (size_t)info->height, &total)) return 0;
    return total == pixels_size;
}

void gsimg_free(void *buffer) { free(buffer); }
