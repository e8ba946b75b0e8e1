// gram.cl — Gram matrix F·Fᵀ/(C·pixels) as split-K tiled partials plus a reduction, and its backward pass.

#ifndef GRAM_TILE
#define GRAM_TILE 64
#endif
#ifndef GRAM_K
#define GRAM_K 16
#endif
#ifndef GRAM_WPT
#define GRAM_WPT 8
#endif
#define GRAM_SIDE (GRAM_TILE / GRAM_WPT)
#define GRAM_THREADS (GRAM_SIDE * GRAM_SIDE)

#if (GRAM_TILE % GRAM_WPT) != 0
#error "GRAM_TILE must be a multiple of GRAM_WPT"
#endif

// GRAM_VEC: a work-item's rows (and columns) come in runs of 4, read from local memory as float4 (GPUs: a quarter of
// the load instructions); otherwise strided by the work-items across (CPU devices: PoCL vectorises across them, and
// register blocks that are not multiples of 4).
#ifndef GRAM_VEC
#define GRAM_VEC !CPU_DEVICE
#endif
#define GRAM_RUNS (GRAM_VEC && (GRAM_WPT % 4) == 0)
#define GRADF_RUNS (GRAM_VEC && (GRADF_ROWS % 4) == 0 && (GRADF_COLS % 4) == 0)
// Where a work-item's a-th value lies among `side` work-items (`runs`: in runs of 4), and the local row padding
// (4 keeps float4 alignment; 1 avoids bank conflicts in the strided layout).
#define RUN_INDEX(runs, item, a, side) ((runs) ? 4 * (item) + ((a) & 3) + 4 * (side) * ((a) >> 2) : (item) + (side) * (a))
#define RUN_PAD(runs) ((runs) ? 4 : 1)
// Loads `per` values of the local row `row` (float*) for work-item `item` of `side` into `out`.
#define LOAD_RUNS(runs, out, row, item, side, per) do {                                            \
        if (runs) {                                                                                \
            UNROLL                                                                                 \
            for (int a_ = 0; a_ < (per); a_ += 4) {                                                \
                const float4 v_ = *(__local const float4*)((row) + 4 * (item) + (side) * a_);      \
                (out)[a_] = v_.x; (out)[a_ + 1] = v_.y; (out)[a_ + 2] = v_.z; (out)[a_ + 3] = v_.w; \
            }                                                                                      \
        } else {                                                                                   \
            UNROLL                                                                                 \
            for (int a_ = 0; a_ < (per); ++a_) (out)[a_] = (row)[(item) + (side) * a_];          \
        }                                                                                          \
    } while (0)

// partials[split][i][j] = Σ_{p in split} F[i][p]·F[j][p] for the upper-triangle tiles (tile row ≤ tile column).
// Launch: global (tiles·GRAM_SIDE, tiles·GRAM_SIDE, splits), local (GRAM_SIDE, GRAM_SIDE, 1).
__kernel __attribute__((reqd_work_group_size(GRAM_SIDE, GRAM_SIDE, 1)))
void gram_partial(__global const float* restrict features, const int channels, const int pixels,
                  const int pixelsPerSplit, __global float* restrict partials)
{
    const int tileJ = (int)get_group_id(0), tileI = (int)get_group_id(1), split = (int)get_group_id(2);
    if (tileI > tileJ) return;   // the whole group leaves together: the lower triangle mirrors the upper
    __local float4 rowsI4[(GRAM_K * (GRAM_TILE + 4) + 3) / 4], rowsJ4[(GRAM_K * (GRAM_TILE + 4) + 3) / 4];  // float4-aligned
    __local float (*rowsI)[GRAM_TILE + RUN_PAD(GRAM_RUNS)] = (__local float (*)[GRAM_TILE + RUN_PAD(GRAM_RUNS)])rowsI4;
    __local float (*rowsJ)[GRAM_TILE + RUN_PAD(GRAM_RUNS)] = (__local float (*)[GRAM_TILE + RUN_PAD(GRAM_RUNS)])rowsJ4;
    const int tx = (int)get_local_id(0), ty = (int)get_local_id(1);
    const int lid = ty * GRAM_SIDE + tx;
    const int i0 = tileI * GRAM_TILE, j0 = tileJ * GRAM_TILE;
    const int pBegin = split * pixelsPerSplit;
    const int pEnd = min(pixels, pBegin + pixelsPerSplit);

    float acc[GRAM_WPT][GRAM_WPT];
    UNROLL
    for (int a = 0; a < GRAM_WPT; ++a) {
        UNROLL
        for (int b = 0; b < GRAM_WPT; ++b) acc[a][b] = 0.0f;
    }

    for (int p0 = pBegin; p0 < pEnd; p0 += GRAM_K) {
        for (int idx = lid; idx < GRAM_TILE * GRAM_K; idx += GRAM_THREADS) {
            const int r = idx / GRAM_K, k = idx % GRAM_K, p = p0 + k;
            rowsI[k][r] = (i0 + r < channels && p < pEnd) ? features[(i0 + r) * pixels + p] : 0.0f;
            rowsJ[k][r] = (j0 + r < channels && p < pEnd) ? features[(j0 + r) * pixels + p] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        UNROLL
        for (int k = 0; k < GRAM_K; ++k) {
            float fi[GRAM_WPT], fj[GRAM_WPT];
            LOAD_RUNS(GRAM_RUNS, fi, rowsI[k], ty, GRAM_SIDE, GRAM_WPT);
            LOAD_RUNS(GRAM_RUNS, fj, rowsJ[k], tx, GRAM_SIDE, GRAM_WPT);
            UNROLL
            for (int a = 0; a < GRAM_WPT; ++a) {
                UNROLL
                for (int b = 0; b < GRAM_WPT; ++b) acc[a][b] += fi[a] * fj[b];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    UNROLL
    for (int a = 0; a < GRAM_WPT; ++a) {
        const int i = i0 + RUN_INDEX(GRAM_RUNS, ty, a, GRAM_SIDE);
        if (i >= channels) continue;
        UNROLL
        for (int b = 0; b < GRAM_WPT; ++b) {
            const int j = j0 + RUN_INDEX(GRAM_RUNS, tx, b, GRAM_SIDE);
            if (j < channels) partials[(split * channels + i) * channels + j] = acc[a][b];
        }
    }
}

// gram[i][j] = scale · Σ_split partials[split][min(i,j)][max(i,j)] (exactly symmetric). One work-item per entry.
__kernel void gram_reduce(__global const float* restrict partials, const int channels, const int splits,
                          const float scale, __global float* restrict gram)
{
    const size_t gid = get_global_id(0);
    if (gid >= (size_t)(channels * channels)) return;
    const int i = (int)gid / channels, j = (int)gid % channels;
    const int lo = min(i, j), hi = max(i, j);
    float sum = 0.0f;
    for (int s = 0; s < splits; ++s) sum += partials[(s * channels + lo) * channels + hi];
    gram[gid] = sum * scale;
}

#ifndef GRADF_ROWS
#define GRADF_ROWS 4
#endif
#ifndef GRADF_COLS
#define GRADF_COLS 8
#endif
#ifndef GRADF_SIDE
#define GRADF_SIDE 16
#endif
#ifndef GRADF_K
#define GRADF_K 16
#endif
#define GRADF_TM (GRADF_SIDE * GRADF_ROWS)
#define GRADF_TN (GRADF_SIDE * GRADF_COLS)
#define GRADF_THREADS (GRADF_SIDE * GRADF_SIDE)

// gradFeatures[i][p] += scale · Σ_k (gradGram[i][k] + gradGram[k][i]) · features[k][p].
// Launch: global (⌈pixels/GRADF_TN⌉·GRADF_SIDE, ⌈channels/GRADF_TM⌉·GRADF_SIDE), local (GRADF_SIDE, GRADF_SIDE).
__kernel __attribute__((reqd_work_group_size(GRADF_SIDE, GRADF_SIDE, 1)))
void gram_backward(__global const float* restrict gradGram, __global const float* restrict features,
                   const int channels, const int pixels, const float scale, __global float* restrict gradFeatures)
{
    __local float4 sym4[(GRADF_K * (GRADF_TM + 4) + 3) / 4], feat4[(GRADF_K * GRADF_TN + 3) / 4];  // float4-aligned
    __local float (*sym)[GRADF_TM + RUN_PAD(GRADF_RUNS)] = (__local float (*)[GRADF_TM + RUN_PAD(GRADF_RUNS)])sym4;
    __local float (*feat)[GRADF_TN] = (__local float (*)[GRADF_TN])feat4;
    const int tx = (int)get_local_id(0), ty = (int)get_local_id(1);
    const int lid = ty * GRADF_SIDE + tx;
    const int p0 = (int)get_group_id(0) * GRADF_TN;
    const int i0 = (int)get_group_id(1) * GRADF_TM;

    float acc[GRADF_ROWS][GRADF_COLS];
    UNROLL
    for (int a = 0; a < GRADF_ROWS; ++a) {
        UNROLL
        for (int b = 0; b < GRADF_COLS; ++b) acc[a][b] = 0.0f;
    }

    for (int k0 = 0; k0 < channels; k0 += GRADF_K) {
        // sym = gradGram + gradGramᵀ over this tile, in two passes that each read gradGram along its rows (one read
        // of the transpose would stride by `channels` across neighbouring work-items).
        for (int idx = lid; idx < GRADF_TM * GRADF_K; idx += GRADF_THREADS) {
            const int r = idx / GRADF_K, kk = idx % GRADF_K;
            const int i = i0 + r, k = k0 + kk;
            sym[kk][r] = (i < channels && k < channels) ? gradGram[i * channels + k] : 0.0f;
        }
        for (int idx = lid; idx < GRADF_K * GRADF_TN; idx += GRADF_THREADS) {
            const int kk = idx / GRADF_TN, q = idx % GRADF_TN;
            const int k = k0 + kk, p = p0 + q;
            feat[kk][q] = (k < channels && p < pixels) ? features[k * pixels + p] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int idx = lid; idx < GRADF_TM * GRADF_K; idx += GRADF_THREADS) {
            const int kk = idx / GRADF_TM, r = idx % GRADF_TM;
            const int i = i0 + r, k = k0 + kk;
            if (i < channels && k < channels) sym[kk][r] += gradGram[k * channels + i];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        UNROLL
        for (int kk = 0; kk < GRADF_K; ++kk) {
            float s[GRADF_ROWS], f[GRADF_COLS];
            LOAD_RUNS(GRADF_RUNS, s, sym[kk], ty, GRADF_SIDE, GRADF_ROWS);
            LOAD_RUNS(GRADF_RUNS, f, feat[kk], tx, GRADF_SIDE, GRADF_COLS);
            UNROLL
            for (int a = 0; a < GRADF_ROWS; ++a) {
                UNROLL
                for (int b = 0; b < GRADF_COLS; ++b) acc[a][b] += s[a] * f[b];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    UNROLL
    for (int a = 0; a < GRADF_ROWS; ++a) {
        const int i = i0 + RUN_INDEX(GRADF_RUNS, ty, a, GRADF_SIDE);
        if (i >= channels) continue;
        UNROLL
        for (int b = 0; b < GRADF_COLS; ++b) {
            const int p = p0 + RUN_INDEX(GRADF_RUNS, tx, b, GRADF_SIDE);
            if (p < pixels) gradFeatures[i * pixels + p] += scale * acc[a][b];
        }
    }
}
