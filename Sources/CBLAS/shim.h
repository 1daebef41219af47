// OpenBLAS's CBLAS interface (Debian: libopenblas-dev).
#include <cblas.h>
// Thread control, declared by OpenBLAS's cblas.h; re-declared so the module exposes it.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
