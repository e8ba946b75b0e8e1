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

#ifndef REDUCE_WG
#define REDUCE_WG 256
#endif

// Pairwise (tree) sum of v over the work-group (loss.cl and vector.cl); every item gets the total. REDUCE_WG, the
// reductions' work-group size, must be a power of two.
static float group_sum(float v, __local float* scratch)
{
    const int lid = (int)get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = REDUCE_WG / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}
