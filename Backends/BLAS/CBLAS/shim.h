// OpenBLAS through its CBLAS interface (Debian: libopenblas-dev, pkg-config `openblas`).
#ifndef MINO_CBLAS_SHIM_H
#define MINO_CBLAS_SHIM_H

#include <cblas.h>

// OpenBLAS's thread control. Recent cblas.h headers declare these; older ones
// do not, and a repeated identical prototype is harmless.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);

#endif
