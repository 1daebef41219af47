// HDF5 (Debian: libhdf5-dev, serial build). Type and property-list ids are macros
// that expand to `(H5open(), H5T_NATIVE_FLOAT_g)`; Swift cannot import them, so
// these functions give them bodies (and call H5open() as the macros do).
#include <hdf5.h>

static inline hid_t probity_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t probity_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t probity_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t probity_h5t_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t probity_h5t_native_int16(void) { return H5T_NATIVE_INT16; }
static inline hid_t probity_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t probity_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t probity_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t probity_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t probity_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t probity_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t probity_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t probity_h5s_all(void) { return H5S_ALL; }
static inline hid_t probity_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t probity_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t probity_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t probity_h5e_default(void) { return H5E_DEFAULT; }
static inline hsize_t probity_h5s_unlimited(void) { return H5S_UNLIMITED; }
static inline size_t probity_h5t_variable(void) { return H5T_VARIABLE; }

/// Silences HDF5's own error printing; Probity turns the error stack into Swift errors.
static inline void probity_h5_silence(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/// Collects the innermost message of the current error stack into `buffer`.
typedef struct { char *buffer; size_t size; } probity_h5_msg_ctx;
static inline herr_t probity_h5_walk(unsigned n, const H5E_error2_t *err, void *data) {
    probity_h5_msg_ctx *ctx = (probity_h5_msg_ctx *)data;
    if (err->desc && err->desc[0]) {
        size_t len = 0;
        while (ctx->buffer[len] && len < ctx->size) len++;
        if (len > 0 && len + 2 < ctx->size) { ctx->buffer[len++] = ';'; ctx->buffer[len++] = ' '; ctx->buffer[len] = 0; }
        for (const char *p = err->desc; *p && len + 1 < ctx->size; p++) ctx->buffer[len++] = *p;
        ctx->buffer[len] = 0;
    }
    (void)n;
    return 0;
}
static inline void probity_h5_error_message(char *buffer, size_t size) {
    if (size == 0) return;
    buffer[0] = 0;
    probity_h5_msg_ctx ctx = { buffer, size };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, probity_h5_walk, &ctx);
    H5Eclear2(H5E_DEFAULT);
}

static inline unsigned probity_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned probity_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned probity_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
