// libpng's simplified API (png_image_*): it reports errors by return codes,
// so libpng's longjmp never crosses Swift frames.
#include <png.h>

// PNG_IMAGE_SIZE and friends are macros; give Swift functions for them.
static inline size_t probity_png_row_stride(const png_image *image) {
    return PNG_IMAGE_ROW_STRIDE(*image);
}
static inline size_t probity_png_buffer_size(const png_image *image) {
    return PNG_IMAGE_BUFFER_SIZE(*image, PNG_IMAGE_ROW_STRIDE(*image));
}
static inline int probity_png_failed(const png_image *image) {
    return PNG_IMAGE_FAILED(*image);
}
