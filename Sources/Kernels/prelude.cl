// prelude.cl — definitions every kernel file sees: the host prepends this file to each one before building it.

// Loops over a work-item's register block carry UNROLL, so their arrays stay in registers (scripts/ptx_check finds
// them on the stack otherwise); the host sets UNROLL_LOOPS=0 for CPU devices, where PoCL vectorises better without.
#ifndef UNROLL_LOOPS
#define UNROLL_LOOPS 1
#endif
#if UNROLL_LOOPS
#define UNROLL _Pragma("unroll")
#else
#define UNROLL
#endif
