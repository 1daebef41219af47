#include "probity_jpeg.h"
#include <stdio.h>   /* jpeglib.h needs FILE */
#include <jpeglib.h>
#include <jerror.h>
#include <setjmp.h>
#include <string.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} probity_error_mgr;

static void probity_error_exit(j_common_ptr info) {
    probity_error_mgr *mgr = (probity_error_mgr *)info->err;
    (*info->err->format_message)(info, mgr->message);
    longjmp(mgr->jump, 1);
}

// Warnings are not fatal for libjpeg, which pads a truncated file with gray. Pillow raises
// on a truncated file by default ("image file is truncated") and so do we; other warnings
// (extraneous bytes before a marker, …) are ignored, as Pillow ignores them.
static void probity_emit_message(j_common_ptr info, int level) {
    if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) {
        probity_error_mgr *mgr = (probity_error_mgr *)info->err;
        (*info->err->format_message)(info, mgr->message);
        longjmp(mgr->jump, 1);
    }
}

static void copy_message(const char *message, char *error, size_t error_size) {
    if (error_size == 0) return;
    strncpy(error, message, error_size - 1);
    error[error_size - 1] = 0;
}

// The one read path: header always; with `pixels`, the whole image.
static int read_jpeg(const unsigned char *data, size_t size, int *width, int *height, int *channels,
                     unsigned char *pixels, size_t capacity, char *error, size_t error_size) {
    struct jpeg_decompress_struct info;
    probity_error_mgr mgr;
    info.err = jpeg_std_error(&mgr.base);
    mgr.base.error_exit = probity_error_exit;
    mgr.base.emit_message = probity_emit_message;
    mgr.message[0] = 0;
    if (setjmp(mgr.jump)) {
        copy_message(mgr.message, error, error_size);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    int cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
    if (width) *width = (int)info.image_width;
    if (height) *height = (int)info.image_height;
    if (channels) *channels = info.jpeg_color_space == JCS_GRAYSCALE ? 1 : (cmyk ? 4 : 3);
    if (pixels == NULL) {
        jpeg_destroy_decompress(&info);
        return 0;
    }
    if (cmyk) {
        copy_message("CMYK JPEG images are not supported (convert to RGB first)", error, error_size);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    info.out_color_space = info.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    info.dct_method = JDCT_ISLOW;
    info.do_fancy_upsampling = TRUE;
    jpeg_start_decompress(&info);
    size_t stride = (size_t)info.output_width * (size_t)info.output_components;
    if (stride * info.output_height > capacity) {
        copy_message("decoded image is larger than its header says", error, error_size);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + (size_t)info.output_scanline * stride;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    return 0;
}

int probity_jpeg_header(const unsigned char *data, size_t size, int *width, int *height, int *channels,
                        char *error, size_t error_size) {
    return read_jpeg(data, size, width, height, channels, NULL, 0, error, error_size);
}

int probity_jpeg_decode(const unsigned char *data, size_t size, unsigned char *pixels, size_t capacity,
                        char *error, size_t error_size) {
    return read_jpeg(data, size, NULL, NULL, NULL, pixels, capacity, error, error_size);
}
