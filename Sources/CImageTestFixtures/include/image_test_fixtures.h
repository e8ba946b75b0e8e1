// image_test_fixtures.h — test-only encoders that write PNG/JPEG variants the product never writes.
//
// Used by the image tests to generate their fixtures (no image files are committed). Each returns 0 on
// success with a malloc'd buffer in *out (release with fixture_free), or -1 with a message.
#ifndef GPUSTYLE_IMAGE_TEST_FIXTURES_H
#define GPUSTYLE_IMAGE_TEST_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A PNG of any colour type (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA) and legal bit depth.
/// `samples` holds one value per sample (palette: one index per pixel), rows top first; values must
/// fit the bit depth. `palette_rgb` has `palette_count` RGB triples (colour type 3 only). `trns`:
/// palette alpha values (`trns_count` of them) for colour type 3; `trns_color` the transparent
/// gray (one value) or RGB (three values) for types 0 and 2; NULL / 0 for none.
int fixture_png_encode(const uint16_t *samples, uint32_t width, uint32_t height, int color_type, int bit_depth,
                       int interlaced, const uint8_t *palette_rgb, int palette_count,
                       const uint8_t *trns, int trns_count, const uint16_t *trns_color,
                       uint8_t **out, size_t *out_size, char *message, size_t message_capacity);

/// A JPEG from interleaved 8-bit samples with 1 (gray), 3 (RGB) or 4 (CMYK) components.
/// For 4 components: `ycck` stores YCCK instead of CMYK; `adobe_marker` writes the Adobe APP14 marker
/// (the samples are written as given; Adobe files conventionally hold inverted CMYK).
/// `progressive` uses libjpeg's simple progression; `arithmetic` arithmetic coding.
/// `app1`/`app1_size` (may be NULL/0): payload of an APP1 segment written right after SOI (e.g. Exif);
/// the JFIF APP0 is then left out, as cameras do.
int fixture_jpeg_encode(const uint8_t *samples, uint32_t width, uint32_t height, int components,
                        int quality, int progressive, int arithmetic, int ycck, int adobe_marker,
                        const uint8_t *app1, size_t app1_size,
                        uint8_t **out, size_t *out_size, char *message, size_t message_capacity);

void fixture_free(void *buffer);

#ifdef __cplusplus
}
#endif

#endif
