// image_codecs.h — libpng / libjpeg-turbo behind plain C functions; their setjmp/longjmp stays in C.
//
// Every function works on memory buffers only (no files), never longjmps into its caller, and reports
// failure as a status plus a NUL-terminated message written into the caller's `message` buffer.
// Decoding is two-phase: *_header reads the dimensions so the caller can check its pixel limit and
// allocate, then *_decode fills the caller's buffer (width × height × channels × bytes_per_sample).
#ifndef GPUSTYLE_IMAGE_CODECS_H
#define GPUSTYLE_IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Outcome of a codec call.
typedef enum {
    GSIMG_OK = 0,
    GSIMG_TRUNCATED = 1,        ///< the data ends before the image does
    GSIMG_CORRUPT = 2,          ///< malformed or inconsistent data
    GSIMG_UNSUPPORTED = 3,      ///< valid but not decodable here (e.g. 12-bit or lossless JPEG)
    GSIMG_ZERO_SIZE = 4,        ///< width or height is zero
    GSIMG_TOO_LARGE = 5,        ///< over a size or memory limit
    GSIMG_OUT_OF_MEMORY = 6,    ///< an allocation failed
    GSIMG_INVALID_ARGUMENT = 7  ///< the caller's buffer or parameters do not match (a bug, not bad data)
} gsimg_status;

/// What a decoder will deliver.
typedef struct {
    uint32_t width;
    uint32_t height;
    uint32_t channels;          ///< 3 (RGB) or 4 (RGBA, straight alpha)
    uint32_t bytes_per_sample;  ///< 1, or 2 (16-bit samples in host byte order)
} gsimg_info;

/// PNG: reads the signature and IHDR. Any colour type / bit depth; the delivered layout is RGB or RGBA
/// (RGBA when the image has alpha or tRNS), 8 or 16 bits per sample.
gsimg_status gsimg_png_header(const uint8_t *data, size_t size, gsimg_info *info,
                              char *message, size_t message_capacity);

/// PNG: decodes into `pixels` (interleaved rows, top first) laid out as `*expected` says, which must be
/// what gsimg_png_header returned for the same data. Interlaced images are de-interlaced.
gsimg_status gsimg_png_decode(const uint8_t *data, size_t size, const gsimg_info *expected,
                              uint8_t *pixels, size_t pixels_size,
                              char *message, size_t message_capacity);

/// PNG: encodes 8-bit interleaved RGB rows (top first). On success `*out` is a malloc'd buffer of
/// `*out_size` bytes that the caller releases with gsimg_free.
gsimg_status gsimg_png_encode_rgb8(const uint8_t *rgb, uint32_t width, uint32_t height,
                                   uint8_t **out, size_t *out_size,
                                   char *message, size_t message_capacity);

/// JPEG: reads the markers up to the first scan. Delivered layout is always RGB, 8 bits per sample
/// (grayscale expanded; CMYK and YCCK converted, Adobe-inverted CMYK handled).
gsimg_status gsimg_jpeg_header(const uint8_t *data, size_t size, gsimg_info *info,
                               char *message, size_t message_capacity);

/// JPEG: decodes into `pixels` (interleaved RGB8 rows, top first). Warnings that mean missing or
/// corrupt data (premature end, bad Huffman code, …) are errors. EXIF orientation is not applied.
gsimg_status gsimg_jpeg_decode(const uint8_t *data, size_t size, const gsimg_info *expected,
                               uint8_t *pixels, size_t pixels_size,
                               char *message, size_t message_capacity);

/// JPEG chroma subsampling for the encoder.
typedef enum {
    GSIMG_SUBSAMPLING_444 = 0,  ///< full-resolution chroma
    GSIMG_SUBSAMPLING_420 = 1   ///< chroma halved in both directions
} gsimg_subsampling;

/// JPEG: encodes 8-bit interleaved RGB rows (top first), baseline, optimised Huffman tables.
/// `quality` is 1…100. Output as for gsimg_png_encode_rgb8.
gsimg_status gsimg_jpeg_encode_rgb8(const uint8_t *rgb, uint32_t width, uint32_t height,
                                    int quality, gsimg_subsampling subsampling,
                                    uint8_t **out, size_t *out_size,
                                    char *message, size_t message_capacity);

/// Releases a buffer returned by an encoder.
void gsimg_free(void *buffer);

#ifdef __cplusplus
}
#endif

#endif
