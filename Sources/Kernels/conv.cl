// conv.cl — 3×3 "same" convolution (+bias, +ReLU) as a local-memory tiled, register-blocked direct kernel.
//
// One work-group computes a TILE_H × TILE_W block of output pixels for TILE_K output channels. For each
// chunk of CHUNK_C input channels it stages the input block plus its one-pixel halo, and the chunk's
// weights, in local memory; each work-item then accumulates WPT_P pixels × WPT_K channels in registers.
// The same kernel computes the input gradient when given the transposed, 180°-rotated weight set.
//
// Local-memory loads per FMA bound this kernel on GPUs: per input channel and tap a work-item loads WPT_P inputs
// (consecutive work-items read consecutive pixels: no bank conflicts) and WPT_K weights (the same for the whole
// pixel group: a broadcast, as float4 when WPT_K is a multiple of 4) for WPT_P·WPT_K FMAs. `gpustyle tune` picks
// the tile sizes per device.
//
// Weights are pre-arranged on the host as [inPad][9][outPad] (inPad a multiple of CHUNK_C, outPad a
// multiple of TILE_K, zero padded), so the kernel reads them without bounds checks.

#ifndef TILE_W
#define TILE_W 16
#endif
#ifndef TILE_H
#define TILE_H 8
#endif
#ifndef TILE_K
#define TILE_K 32
#endif
#ifndef CHUNK_C
#define CHUNK_C 8
#endif
#ifndef WPT_P
#define WPT_P 8
#endif
#ifndef WPT_K
#define WPT_K 8
#endif

#define TILE_PIXELS (TILE_W * TILE_H)
#define PIXEL_GROUPS (TILE_PIXELS / WPT_P)
#define CHANNEL_GROUPS (TILE_K / WPT_K)
#define CONV_THREADS (PIXEL_GROUPS * CHANNEL_GROUPS)
#define HALO_W (TILE_W + 2)
#define HALO_H (TILE_H + 2)
#define HALO_PLANE (HALO_W * HALO_H)

#if (TILE_PIXELS % WPT_P) != 0
#error "TILE_W * TILE_H must be a multiple of WPT_P"
#endif
#if (TILE_K % WPT_K) != 0
#error "TILE_K must be a multiple of WPT_K"
#endif

// flags: bit 0 adds the bias, bit 1 applies ReLU (negative results become 0; NaN and -0 pass through).
// Launch: global (tilesX · tilesY · CONV_THREADS, outPad / TILE_K), local (CONV_THREADS, 1).
__kernel __attribute__((reqd_work_group_size(CONV_THREADS, 1, 1)))
void conv3x3(__global const float* restrict input, const int inChannels, const int height, const int width,
             __global const float* restrict weights, const int outPad,
             __global const float* restrict bias, const int outChannels, const int flags,
             __global float* restrict output, const int tilesX)
{
    __local float inTile[CHUNK_C * HALO_PLANE];
    __local float4 wTile4[CHUNK_C * 9 * TILE_K / 4 + 1];  // float4-aligned storage for the weights
    __local float* wTile = (__local float*)wTile4;

    const int lid = (int)get_local_id(0);
    const int tile = (int)get_group_id(0);
    const int k0 = (int)get_group_id(1) * TILE_K;
    const int x0 = (tile % tilesX) * TILE_W;
    const int y0 = (tile / tilesX) * TILE_H;
    const int pixelGroup = lid % PIXEL_GROUPS;
    const int channelGroup = lid / PIXEL_GROUPS;
    const int plane = height * width;

    float acc[WPT_P][WPT_K];
    int haloBase[WPT_P];
    UNROLL
    for (int i = 0; i < WPT_P; ++i) {
        const int p = pixelGroup + PIXEL_GROUPS * i;
        haloBase[i] = (p / TILE_W) * HALO_W + (p % TILE_W);
        UNROLL
        for (int j = 0; j < WPT_K; ++j) acc[i][j] = 0.0f;
    }

    for (int c0 = 0; c0 < inChannels; c0 += CHUNK_C) {
        for (int idx = lid; idx < CHUNK_C * HALO_PLANE; idx += CONV_THREADS) {
            const int c = idx / HALO_PLANE;
            const int r = idx - c * HALO_PLANE;
            const int hy = r / HALO_W;
            const int gy = y0 + hy - 1;
            const int gx = x0 + (r - hy * HALO_W) - 1;
            float v = 0.0f;
            if (c0 + c < inChannels && gy >= 0 && gy < height && gx >= 0 && gx < width)
                v = input[(c0 + c) * plane + gy * width + gx];
            inTile[idx] = v;
        }
        __global const float* wChunk = weights + c0 * 9 * outPad + k0;
        for (int idx = lid; idx < CHUNK_C * 9 * TILE_K; idx += CONV_THREADS) {
            const int row = idx / TILE_K;
            wTile[idx] = wChunk[row * outPad + (idx - row * TILE_K)];
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        // The RGB layer's last chunk holds 3 of CHUNK_C channels: the rest are zeros, skipped (5/8 of its FMAs at 8).
        const int chunkChannels = min(CHUNK_C, inChannels - c0);
        for (int c = 0; c < chunkChannels; ++c) {
            __local const float* inC = inTile + c * HALO_PLANE;
            __local const float* wC = wTile + c * 9 * TILE_K + channelGroup * WPT_K;
            for (int tap = 0; tap < 9; ++tap) {
                const int shift = (tap / 3) * HALO_W + (tap % 3);
                float w[WPT_K];
#if (WPT_K % 4) == 0
                // 128-bit local loads (the offset is a multiple of 4 floats): fewer load instructions per FMA.
                UNROLL
                for (int j = 0; j < WPT_K; j += 4) {
                    const float4 v = *(__local const float4*)(wC + tap * TILE_K + j);
                    w[j] = v.x; w[j + 1] = v.y; w[j + 2] = v.z; w[j + 3] = v.w;
                }
#else
                UNROLL
                for (int j = 0; j < WPT_K; ++j) w[j] = wC[tap * TILE_K + j];
#endif
                UNROLL
                for (int i = 0; i < WPT_P; ++i) {
                    const float x = inC[haloBase[i] + shift];
                    UNROLL
                    for (int j = 0; j < WPT_K; ++j) acc[i][j] += x * w[j];
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    UNROLL
    for (int i = 0; i < WPT_P; ++i) {
        const int p = pixelGroup + PIXEL_GROUPS * i;
        const int y = y0 + p / TILE_W;
        const int x = x0 + p % TILE_W;
        if (y >= height || x >= width) continue;
        UNROLL
        for (int j = 0; j < WPT_K; ++j) {
            const int k = k0 + channelGroup * WPT_K + j;
            if (k >= outChannels) continue;
            float v = acc[i][j];
            if (flags & 1) v += bias[k];
            if ((flags & 2) && v < 0.0f) v = 0.0f;
            output[k * plane + y * width + x] = v;
        }
    }
}
