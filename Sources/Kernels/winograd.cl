// winograd.cl — 3×3 "same" convolution by Winograd F(4×4, 3×3): input transform, 36 batched GEMMs, output transform.
//
// Each 4×4 output tile comes from its 6×6 input patch as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A (Lavin & Gray 2015, points
// 0, ±1, ±2, ∞): 36 multiplies per tile and channel pair instead of 144, FP32 error 1–4e-6 relative. The weights
// are transformed once on the host into U = [36][channelPad][outPad]. A chunk of `tiles` consecutive tiles (row-major
// over the image, starting at `firstTile`) goes through three kernels (V and M share one scratch buffer, at vOffset
// and mOffset):
//   winograd_input   V[ξ][c][p] = (Bᵀ d B)[ξ] of input channel c over tile p      (zero for c ≥ channels, p ≥ tiles)
//   winograd_gemm    M[ξ][k][p] = Σ_c U[ξ][c][k] · V[ξ][c][p]                       (36 register-blocked GEMMs)
//   winograd_output  y[k] over tile p = Aᵀ M[·][k][p] A, + bias, ReLU
// The input gradient runs the same kernels on the transform of the transposed, 180°-rotated weights.
//
// GEMM tiling: a work-group computes GEMM_M output channels × GEMM_N tiles, stepping GEMM_D input channels at a time
// through local memory; each work-item accumulates GEMM_RM channels × GEMM_RN tiles in registers (its channels
// contiguous, read as float4 broadcasts; its tiles in runs of 4, read as float4 — or, with GEMM_VN=0 as on CPU
// devices, GEMM_N / GEMM_RN apart, so neighbouring items read neighbouring words). Host padding makes every dimension
// a multiple of its tile, and every row start a multiple of 4 floats: no bounds checks in the GEMM, and its global
// loads and stores are 16-byte aligned float4s. With GEMM_PREFETCH the next step's loads are issued before this
// step's arithmetic, so their latency hides behind it.
//
// With GEMM_MMA (NVIDIA, compute capability 8.0+) the GEMM runs on tensor cores through inline PTX instead:
// mma.sync m16n8k8 with TF32 operands and FP32 accumulation, one warp per GEMM_M / WARPS channels × 32 tiles.
// GEMM_MMA=3 splits every operand x into big (x truncated to TF32) and small (x − big rounded to TF32) and adds
// small·big + big·small + big·big (3×TF32: FP32-class products, at worst ~2⁻²⁰ relative from the small·small term it
// drops); GEMM_MMA=1 takes big·big alone with big rounded (TF32, ~2⁻¹¹, as PyTorch's default). MMA_EMULATE=1 computes
// the same fragments through local memory, so other devices can test the indexing.

#ifndef GEMM_M
#define GEMM_M 64
#endif
#ifndef GEMM_N
#define GEMM_N 128
#endif
#ifndef GEMM_D
#define GEMM_D 8
#endif
#ifndef GEMM_RM
#define GEMM_RM 8
#endif
#ifndef GEMM_RN
#define GEMM_RN 8
#endif
#ifndef GEMM_PREFETCH
#define GEMM_PREFETCH 0
#endif
#ifndef GEMM_MMA
#define GEMM_MMA 0
#endif
#ifndef MMA_EMULATE
#define MMA_EMULATE 0
#endif
// FP32 GEMM: each work-item's GEMM_RN tiles in runs of 4 (128-bit local loads and global stores) instead of strided
// by the work-items across (which PoCL, vectorising across work-items, runs ~15% faster).
#ifndef GEMM_VN
#define GEMM_VN !CPU_DEVICE
#endif

#define GEMM_ITEMS_M (GEMM_M / GEMM_RM)
#define GEMM_ITEMS_N (GEMM_N / GEMM_RN)
#define GEMM_ITEMS (GEMM_ITEMS_M * GEMM_ITEMS_N)

#if (GEMM_M % GEMM_RM) != 0 || (GEMM_N % GEMM_RN) != 0 || (GEMM_M % 4) != 0 || (GEMM_N % 4) != 0
#error "GEMM_M and GEMM_N must be multiples of 4 and of GEMM_RM and GEMM_RN"
#endif

// float4 loads per step: of U (GEMM_D × GEMM_M) and V (GEMM_D × GEMM_N), and per work-item.
#define U_VECS (GEMM_D * GEMM_M / 4)
#define V_VECS (GEMM_D * GEMM_N / 4)
#define U_LOADS ((U_VECS + GEMM_ITEMS - 1) / GEMM_ITEMS)
#define V_LOADS ((V_VECS + GEMM_ITEMS - 1) / GEMM_ITEMS)
// Whether every work-item moves all its U_LOADS / V_LOADS (the bounds check can go). Only on tensor cores: the FP32
// GEMM without the check has its loads hoisted into the arithmetic and needs 149 registers instead of 128 (sm_90,
// scripts/ptx_check), three work-groups per SM instead of four.
#define U_EVEN (GEMM_MMA && (U_VECS % GEMM_ITEMS) == 0)
#define V_EVEN (GEMM_MMA && (V_VECS % GEMM_ITEMS) == 0)
// Row strides of the local tiles: the tensor-core path pads each row by 8 words, so a fragment's reads (rows t, t+4,
// columns g: 8t + g mod 32) hit 32 different banks.
#if GEMM_MMA
#define U_STRIDE (GEMM_M + 8)
#define V_STRIDE (GEMM_N + 8)
#else
#define U_STRIDE GEMM_M
#define V_STRIDE GEMM_N
#endif

// Bᵀ applied to six values (one column or row of a patch).
#define WINOGRAD_BT(d0, d1, d2, d3, d4, d5, r0, r1, r2, r3, r4, r5) do {                  \
        const float t_ = (d4) - 4.0f * (d2), u_ = (d3) - 4.0f * (d1);                     \
        const float v_ = (d4) - (d2), w_ = 2.0f * ((d3) - (d1));                          \
        r0 = 4.0f * (d0) - 5.0f * (d2) + (d4); r1 = t_ + u_; r2 = t_ - u_;               \
        r3 = v_ + w_; r4 = v_ - w_; r5 = 4.0f * (d1) - 5.0f * (d3) + (d5);               \
    } while (0)

// Aᵀ applied to six values: four outputs.
#define WINOGRAD_AT(m0, m1, m2, m3, m4, m5, r0, r1, r2, r3) do {                           \
        const float a_ = (m1) + (m2), b_ = (m1) - (m2), c_ = (m3) + (m4), e_ = (m3) - (m4); \
        r0 = (m0) + a_ + c_; r1 = b_ + 2.0f * e_; r2 = a_ + 4.0f * c_; r3 = b_ + 8.0f * e_ + (m5); \
    } while (0)

// Whether element i (over channels × height × width) of a ReLU gate is open: gateKind 1, the layer's post-ReLU output
// (float bits) is positive; 2, bit i of a packed mask (elementwise.cl's pack_positive_mask) is set.
static inline bool gate_open(__global const uint* gate, const int gateKind, const int i)
{
    return gateKind == 1 ? as_float(gate[i]) > 0.0f : ((gate[i >> 5] >> (i & 31)) & 1u) != 0u;
}

// Launch: global (tilePad, channelPad); any local size. With gateKind 1 or 2 each input element passes only where its
// ReLU gate is open (relu_backward / apply_positive_mask fused into an input gradient's transform); 0: no gate (any
// buffer may be passed).
__kernel void winograd_input(__global const float* restrict input, const int channels, const int height, const int width,
                             const int tilesX, const int firstTile, const int tiles, const int tilePad, const int channelPad,
                             __global float* restrict v, const int vOffset, __global const uint* gate, const int gateKind)
{
    v += vOffset;
    const int p = (int)get_global_id(0), c = (int)get_global_id(1);
    if (p >= tilePad || c >= channelPad) return;
    const int plane = channelPad * tilePad;
    __global float* out = v + c * tilePad + p;
    if (c >= channels || p >= tiles) {
        for (int xi = 0; xi < 36; ++xi) out[xi * plane] = 0.0f;
        return;
    }
    const int t = firstTile + p;
    const int y0 = (t / tilesX) * 4 - 1, x0 = (t % tilesX) * 4 - 1;
    __global const float* src = input + c * height * width;
    float d[6][6];
    UNROLL
    for (int i = 0; i < 6; ++i) {
        const int y = y0 + i;
        const bool rowInside = y >= 0 && y < height;
        UNROLL
        for (int j = 0; j < 6; ++j) {
            const int x = x0 + j;
            const bool inside = rowInside && x >= 0 && x < width;
            d[i][j] = inside && (gateKind == 0 || gate_open(gate, gateKind, (c * height + y) * width + x)) ? src[y * width + x] : 0.0f;
        }
    }
    float s[6][6];
    UNROLL
    for (int j = 0; j < 6; ++j)
        WINOGRAD_BT(d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], d[5][j], s[0][j], s[1][j], s[2][j], s[3][j], s[4][j], s[5][j]);
    UNROLL
    for (int i = 0; i < 6; ++i) {
        float r0, r1, r2, r3, r4, r5;
        WINOGRAD_BT(s[i][0], s[i][1], s[i][2], s[i][3], s[i][4], s[i][5], r0, r1, r2, r3, r4, r5);
        __global float* row = out + 6 * i * plane;
        row[0] = r0; row[plane] = r1; row[2 * plane] = r2; row[3 * plane] = r3; row[4 * plane] = r4; row[5 * plane] = r5;
    }
}

// Loads this work-item's share of step d0's U and V tiles into registers.
static inline void gemm_fetch(__global const float* u, __global const float* v, const int d0, const int outPad, const int tilePad,
                       const int m0, const int n0, const int lid, float4* ur, float4* vr)
{
    UNROLL
    for (int l = 0; l < U_LOADS; ++l) {
        const int idx = lid + l * GEMM_ITEMS, r = idx / (GEMM_M / 4);
        if (U_EVEN || idx < U_VECS) ur[l] = *(__global const float4*)(u + (d0 + r) * outPad + m0 + 4 * (idx - r * (GEMM_M / 4)));
    }
    UNROLL
    for (int l = 0; l < V_LOADS; ++l) {
        const int idx = lid + l * GEMM_ITEMS, r = idx / (GEMM_N / 4);
        if (V_EVEN || idx < V_VECS) vr[l] = *(__global const float4*)(v + (d0 + r) * tilePad + n0 + 4 * (idx - r * (GEMM_N / 4)));
    }
}

#if GEMM_MMA == 1
// TF32 alone: every operand is rounded once, as it enters local memory (rather than in each warp that reads it):
// half a TF32 ulp added, which the tensor cores' truncation of the low 13 bits completes to round-to-nearest. NaNs
// stay as they are (the addition could carry one into ±0).
static inline float4 tf32_round(const float4 x)
{
    const uint4 bits = as_uint4(x);
    return as_float4(select(bits + 0x1000u, bits, as_uint4(isnan(x))));
}
#else
#define tf32_round(x) (x)
#endif

// Stores the registers gemm_fetch filled into the local tiles.
static inline void gemm_stage(__local float* uTile, __local float* vTile, const int lid, const float4* ur, const float4* vr)
{
    UNROLL
    for (int l = 0; l < U_LOADS; ++l) {
        const int idx = lid + l * GEMM_ITEMS, r = idx / (GEMM_M / 4);
        if (U_EVEN || idx < U_VECS) vstore4(tf32_round(ur[l]), 0, uTile + r * U_STRIDE + 4 * (idx - r * (GEMM_M / 4)));
    }
    UNROLL
    for (int l = 0; l < V_LOADS; ++l) {
        const int idx = lid + l * GEMM_ITEMS, r = idx / (GEMM_N / 4);
        if (V_EVEN || idx < V_VECS) vstore4(tf32_round(vr[l]), 0, vTile + r * V_STRIDE + 4 * (idx - r * (GEMM_N / 4)));
    }
}

#if !GEMM_MMA
// Launch: global (tilePad / GEMM_RN, outPad / GEMM_RM, 36), local (GEMM_ITEMS_N, GEMM_ITEMS_M, 1).
__kernel __attribute__((reqd_work_group_size(GEMM_ITEMS_N, GEMM_ITEMS_M, 1)))
void winograd_gemm(__global const float* restrict u, __global const float* v, const int vOffset, __global float* m,
                   const int mOffset, const int channelPad, const int outPad, const int tilePad)
{
    __local float4 uTile4[U_VECS];  // float4-aligned storage
    __local float4 vTile4[V_VECS];
    __local float* uTile = (__local float*)uTile4;
    __local float* vTile = (__local float*)vTile4;

    const int tn = (int)get_local_id(0), tm = (int)get_local_id(1);
    const int lid = tm * GEMM_ITEMS_N + tn;
    const int n0 = (int)get_group_id(0) * GEMM_N, m0 = (int)get_group_id(1) * GEMM_M, xi = (int)get_group_id(2);
    u += xi * channelPad * outPad;
    v += vOffset + xi * channelPad * tilePad;
    m += mOffset + xi * outPad * tilePad;

    float acc[GEMM_RM][GEMM_RN];
    UNROLL
    for (int i = 0; i < GEMM_RM; ++i)
        UNROLL
        for (int j = 0; j < GEMM_RN; ++j) acc[i][j] = 0.0f;

    float4 ur[U_LOADS], vr[V_LOADS];
    gemm_fetch(u, v, 0, outPad, tilePad, m0, n0, lid, ur, vr);
    for (int d0 = 0; d0 < channelPad; d0 += GEMM_D) {
        gemm_stage(uTile, vTile, lid, ur, vr);
        barrier(CLK_LOCAL_MEM_FENCE);
#if GEMM_PREFETCH
        if (d0 + GEMM_D < channelPad) gemm_fetch(u, v, d0 + GEMM_D, outPad, tilePad, m0, n0, lid, ur, vr);
#endif
        UNROLL
        for (int d = 0; d < GEMM_D; ++d) {
            float a[GEMM_RM], b[GEMM_RN];
            __local const float* uRow = uTile + d * GEMM_M + tm * GEMM_RM;
#if (GEMM_RM % 4) == 0
            UNROLL
            for (int i = 0; i < GEMM_RM; i += 4) {
                const float4 w = *(__local const float4*)(uRow + i);
                a[i] = w.x; a[i + 1] = w.y; a[i + 2] = w.z; a[i + 3] = w.w;
            }
#else
            UNROLL
            for (int i = 0; i < GEMM_RM; ++i) a[i] = uRow[i];
#endif
#if GEMM_VN && (GEMM_RN % 4) == 0
            UNROLL
            for (int j = 0; j < GEMM_RN; j += 4) {  // tiles 4·tn … 4·tn + 3 of each 4·GEMM_ITEMS_N: one 128-bit load
                const float4 x = *(__local const float4*)(vTile + d * GEMM_N + 4 * tn + j * GEMM_ITEMS_N);
                b[j] = x.x; b[j + 1] = x.y; b[j + 2] = x.z; b[j + 3] = x.w;
            }
#else
            UNROLL
            for (int j = 0; j < GEMM_RN; ++j) b[j] = vTile[d * GEMM_N + tn + j * GEMM_ITEMS_N];
#endif
            UNROLL
            for (int i = 0; i < GEMM_RM; ++i)
                UNROLL
                for (int j = 0; j < GEMM_RN; ++j) acc[i][j] += a[i] * b[j];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#if !GEMM_PREFETCH
        if (d0 + GEMM_D < channelPad) gemm_fetch(u, v, d0 + GEMM_D, outPad, tilePad, m0, n0, lid, ur, vr);
#endif
    }
    UNROLL
    for (int i = 0; i < GEMM_RM; ++i) {
#if GEMM_VN && (GEMM_RN % 4) == 0
        __global float* row = m + (m0 + tm * GEMM_RM + i) * tilePad + n0 + 4 * tn;
        UNROLL
        for (int j = 0; j < GEMM_RN; j += 4)
            *(__global float4*)(row + j * GEMM_ITEMS_N) = (float4)(acc[i][j], acc[i][j + 1], acc[i][j + 2], acc[i][j + 3]);
#else
        __global float* row = m + (m0 + tm * GEMM_RM + i) * tilePad + n0 + tn;
        UNROLL
        for (int j = 0; j < GEMM_RN; ++j) row[j * GEMM_ITEMS_N] = acc[i][j];
#endif
    }
}

#else  // GEMM_MMA

// Work-items (32, WARPS): one warp per row of the work-group, MMA_WARPS_N warps across the 32-tile column blocks.
#define MMA_WARPS GEMM_ITEMS_M
#define MMA_WARPS_N (GEMM_N / 32)
#define MMA_WARPS_M (MMA_WARPS / MMA_WARPS_N)
#define MMA_TILES_M (GEMM_M / MMA_WARPS_M / 16)   // m16 fragments per warp (its n8 fragments: 4)
#if GEMM_ITEMS_N != 32 || (GEMM_N % 32) != 0 || (MMA_WARPS % MMA_WARPS_N) != 0 || (GEMM_M % (16 * MMA_WARPS_M)) != 0 || (GEMM_D % 8) != 0
#error "the tensor-core GEMM needs 32 work-items across (GEMM_N / GEMM_RN == 32), GEMM_N a multiple of 32, 16-channel warp tiles and GEMM_D a multiple of 8"
#endif

#if MMA_EMULATE
// The tensor cores read a TF32 operand's top 19 bits and ignore the low 13 (truncation); the emulation does the same.
static inline float tf32_operand(const uint bits) { return as_float(bits & 0xffffe000u); }

// d += A·B for one 16×8×8 step as mma.sync distributes it over a warp's lanes (g = lane / 4, t = lane % 4):
// a = A[g][t], A[g+8][t], A[g][t+4], A[g+8][t+4]; b = B[t][g], B[t+4][g]; d = D[g][2t], D[g][2t+1], D[g+8][2t],
// D[g+8][2t+1]. The warp's operands meet in `scratch` (16×8 A, then 8×8 B); every work-item of the group calls it.
static inline void mma_16x8x8(float* d, const uint* a, const uint* b, __local float* scratch, const int g, const int t)
{
    scratch[g * 8 + t] = tf32_operand(a[0]); scratch[(g + 8) * 8 + t] = tf32_operand(a[1]);
    scratch[g * 8 + t + 4] = tf32_operand(a[2]); scratch[(g + 8) * 8 + t + 4] = tf32_operand(a[3]);
    scratch[128 + t * 8 + g] = tf32_operand(b[0]); scratch[128 + (t + 4) * 8 + g] = tf32_operand(b[1]);
    barrier(CLK_LOCAL_MEM_FENCE);
    UNROLL
    for (int k = 0; k < 8; ++k) {
        const float lo = scratch[g * 8 + k], hi = scratch[(g + 8) * 8 + k];
        const float b0 = scratch[128 + k * 8 + 2 * t], b1 = scratch[128 + k * 8 + 2 * t + 1];
        d[0] += lo * b0; d[1] += lo * b1; d[2] += hi * b0; d[3] += hi * b1;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
}
#define MMA(d, a, b) mma_16x8x8(d, a, b, mmaScratch + warp * 192, g, t)
#define MMA_UNROLL  // unrolled, the barriers inside would make PoCL's compile take minutes
#else
#define MMA(d, a, b) __asm__("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};" \
                         : "+f"((d)[0]), "+f"((d)[1]), "+f"((d)[2]), "+f"((d)[3])                                               \
                         : "r"((a)[0]), "r"((a)[1]), "r"((a)[2]), "r"((a)[3]), "r"((b)[0]), "r"((b)[1]))
#define MMA_UNROLL UNROLL
#endif

// Splits x into TF32 operands as CUTLASS's fast 3×TF32 does, with integer operations (cvt.rna.tf32.f32 costs ptxas
// four instructions with its Inf/NaN checks): big = x truncated to TF32 (exact, so x − big is exact too; small is
// then up to one TF32 ulp of x rather than half, the price of the cheaper split); small = x − big plus half a TF32
// ulp, which the tensor cores' truncation of the low 13 bits turns into round-to-nearest. A NaN x keeps a NaN big.
// With GEMM_MMA=1 big alone, rounded already by gemm_stage (small stays 0).
#if GEMM_MMA == 3
#define MMA_SPLIT(x, big, small) do {                                    \
        big = as_uint(x) & 0xffffe000u;                                  \
        small = as_uint((x) - as_float(big)) + 0x1000u;                  \
    } while (0)
#else
#define MMA_SPLIT(x, big, small) do {                                    \
        big = as_uint(x);                                                \
        small = 0u;                                                      \
    } while (0)
#endif

// Launch: global (tilePad / GEMM_RN, outPad / GEMM_RM, 36), local (32, WARPS, 1).
__kernel __attribute__((reqd_work_group_size(GEMM_ITEMS_N, GEMM_ITEMS_M, 1)))
void winograd_gemm(__global const float* restrict u, __global const float* v, const int vOffset, __global float* m,
                   const int mOffset, const int channelPad, const int outPad, const int tilePad)
{
    __local float4 uTile4[GEMM_D * U_STRIDE / 4];
    __local float4 vTile4[GEMM_D * V_STRIDE / 4];
    __local float* uTile = (__local float*)uTile4;
    __local float* vTile = (__local float*)vTile4;
#if MMA_EMULATE
    __local float mmaScratch[MMA_WARPS * 192];
#endif

    const int lane = (int)get_local_id(0), warp = (int)get_local_id(1);
    const int lid = warp * 32 + lane, g = lane >> 2, t = lane & 3;
    const int wm = (warp / MMA_WARPS_N) * (GEMM_M / MMA_WARPS_M), wn = (warp % MMA_WARPS_N) * 32;
    const int n0 = (int)get_group_id(0) * GEMM_N, m0 = (int)get_group_id(1) * GEMM_M, xi = (int)get_group_id(2);
    u += xi * channelPad * outPad;
    v += vOffset + xi * channelPad * tilePad;
    m += mOffset + xi * outPad * tilePad;

    float acc[MMA_TILES_M][4][4];
    UNROLL
    for (int i = 0; i < MMA_TILES_M; ++i)
        UNROLL
        for (int j = 0; j < 4; ++j)
            UNROLL
            for (int q = 0; q < 4; ++q) acc[i][j][q] = 0.0f;

    float4 ur[U_LOADS], vr[V_LOADS];
    gemm_fetch(u, v, 0, outPad, tilePad, m0, n0, lid, ur, vr);
    for (int d0 = 0; d0 < channelPad; d0 += GEMM_D) {
        gemm_stage(uTile, vTile, lid, ur, vr);
        barrier(CLK_LOCAL_MEM_FENCE);
        if (d0 + GEMM_D < channelPad) gemm_fetch(u, v, d0 + GEMM_D, outPad, tilePad, m0, n0, lid, ur, vr);
        MMA_UNROLL
        for (int k0 = 0; k0 < GEMM_D; k0 += 8) {
            __local const float* uLo = uTile + (k0 + t) * U_STRIDE + wm + g;   // A[m][k] = U[k][m]
            __local const float* uHi = uLo + 4 * U_STRIDE;
            __local const float* vLo = vTile + (k0 + t) * V_STRIDE + wn + g;   // B[k][n] = V[k][n]
            __local const float* vHi = vLo + 4 * V_STRIDE;
            uint aBig[MMA_TILES_M][4], aSmall[MMA_TILES_M][4], bBig[4][2], bSmall[4][2];
            UNROLL
            for (int i = 0; i < MMA_TILES_M; ++i) {
                MMA_SPLIT(uLo[16 * i], aBig[i][0], aSmall[i][0]);
                MMA_SPLIT(uLo[16 * i + 8], aBig[i][1], aSmall[i][1]);
                MMA_SPLIT(uHi[16 * i], aBig[i][2], aSmall[i][2]);
                MMA_SPLIT(uHi[16 * i + 8], aBig[i][3], aSmall[i][3]);
            }
            UNROLL
            for (int j = 0; j < 4; ++j) {
                MMA_SPLIT(vLo[8 * j], bBig[j][0], bSmall[j][0]);
                MMA_SPLIT(vHi[8 * j], bBig[j][1], bSmall[j][1]);
            }
            MMA_UNROLL
            for (int i = 0; i < MMA_TILES_M; ++i)
                MMA_UNROLL
                for (int j = 0; j < 4; ++j) {
#if GEMM_MMA == 3
                    MMA(acc[i][j], aSmall[i], bBig[j]);
                    MMA(acc[i][j], aBig[i], bSmall[j]);
#endif
                    MMA(acc[i][j], aBig[i], bBig[j]);
                }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    UNROLL
    for (int i = 0; i < MMA_TILES_M; ++i)
        UNROLL
        for (int j = 0; j < 4; ++j) {
            __global float* out = m + (m0 + wm + 16 * i + g) * tilePad + n0 + wn + 8 * j + 2 * t;
            *(__global float2*)out = (float2)(acc[i][j][0], acc[i][j][1]);  // 8-byte aligned: even offsets
            *(__global float2*)(out + 8 * tilePad) = (float2)(acc[i][j][2], acc[i][j][3]);
        }
}
#endif  // GEMM_MMA

// flags: bit 0 adds the bias, bit 1 applies ReLU (negative results become 0; NaN and -0 pass through).
// Launch: global (tiles, channels); any local size.
__kernel void winograd_output(__global const float* restrict m, const int mOffset, const int channels, const int height,
                              const int width, const int tilesX, const int firstTile, const int tiles, const int tilePad,
                              const int outPad, __global const float* restrict bias, const int flags,
                              __global float* restrict output)
{
    m += mOffset;
    const int p = (int)get_global_id(0), k = (int)get_global_id(1);
    if (p >= tiles || k >= channels) return;
    const int plane = outPad * tilePad;
    __global const float* src = m + k * tilePad + p;
    float s[6][4];
    UNROLL
    for (int i = 0; i < 6; ++i) {
        __global const float* row = src + 6 * i * plane;
        WINOGRAD_AT(row[0], row[plane], row[2 * plane], row[3 * plane], row[4 * plane], row[5 * plane],
                    s[i][0], s[i][1], s[i][2], s[i][3]);
    }
    const int t = firstTile + p;
    const int y0 = (t / tilesX) * 4, x0 = (t % tilesX) * 4;
    __global float* dst = output + k * height * width;
    const float b = (flags & 1) ? bias[k] : 0.0f;
    UNROLL
    for (int j = 0; j < 4; ++j) {
        float r[4];
        WINOGRAD_AT(s[0][j], s[1][j], s[2][j], s[3][j], s[4][j], s[5][j], r[0], r[1], r[2], r[3]);
        const int x = x0 + j;
        if (x >= width) break;
        UNROLL
        for (int i = 0; i < 4; ++i) {
            const int y = y0 + i;
            if (y >= height) break;
            float value = r[i];
            if (flags & 1) value += b;  // only then: -0 stays -0
            if ((flags & 2) && value < 0.0f) value = 0.0f;
            dst[y * width + x] = value;
        }
    }
}
