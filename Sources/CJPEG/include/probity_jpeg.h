// JPEG decoding with libjpeg-turbo's libjpeg API. libjpeg reports fatal errors through
// error_exit, which must not return; the decoder longjmps back inside C, so no jump ever
// crosses a Swift frame. Swift sees return codes and a message.
#ifndef PROBITY_JPEG_H
#define PROBITY_JPEG_H
#include <stddef.h>

// Reads the size and color of a JPEG in memory without decoding it. Returns 0 on success;
// otherwise writes a message into `error` and returns -1. `channels` is 1 for grayscale, 3 for
// YCbCr or RGB, 4 for CMYK/YCCK.
int probity_jpeg_header(const unsigned char *data, size_t size, int *width, int *height, int *channels,
                        char *error, size_t error_size);

// Decodes a JPEG in memory into row-major interleaved 8-bit pixels (1 channel for grayscale,
// 3 for color), as Pillow's decoder does: islow DCT, fancy upsampling, no EXIF rotation.
// `pixels` must hold width × height × channels bytes from probity_jpeg_header. Returns 0 on
// success, -1 with a message otherwise (CMYK files are refused).
int probity_jpeg_decode(const unsigned char *data, size_t size, unsigned char *pixels, size_t capacity,
                        char *error, size_t error_size);
#endif
