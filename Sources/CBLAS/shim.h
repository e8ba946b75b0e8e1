// OpenBLAS' CBLAS interface as seen by Swift (single-precision GEMM for the CPU backend).
#include <cblas.h>
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
