// prelude.cl — definitions every kernel file sees: the host prepends this file to each one before building it.

// The host sets CPU_DEVICE=1 when it builds for a CPU device (PoCL), whose vectoriser (across work-items) prefers
// other loop shapes than a GPU's compiler.
#ifndef CPU_DEVICE
#define CPU_DEVICE 0
#endif

// Loops over a work-item's register block carry UNROLL, so their arrays stay in registers (scripts/ptx_check finds
// them on the stack otherwise); not on CPU devices, where PoCL vectorises better without (~2× in the GEMM).
#if CPU_DEVICE
#define UNROLL
#else
#define UNROLL _Pragma("unroll")
#endif
