// pool.cl — 2×2 stride-2 max/average pooling and its gradient; odd sizes round down.

#define POOL_MAX 0
#define POOL_AVG 1

// Swift's max(x, y): y when y >= x, else x (so the result is x when either is NaN and x came first).
static inline float swift_max(const float x, const float y) { return (y >= x) ? y : x; }

// One work-item per output element of channels × ⌊height/2⌋ × ⌊width/2⌋.
__kernel void pool2x2_forward(__global const float* input, __global float* output,
                              const int channels, const int height, const int width, const int mode)
{
    const int outH = height / 2, outW = width / 2;
    const size_t gid = get_global_id(0);
    if (gid >= (size_t)(channels * outH * outW)) return;
    const int o = (int)gid;
    const int j = o % outW;
    const int t = o / outW;
    const int i = t % outH;
    const int c = t / outH;
    const int base = (c * height + 2 * i) * width + 2 * j;
    const float a = input[base], b = input[base + 1], d = input[base + width], e = input[base + width + 1];
    output[o] = (mode == POOL_MAX) ? swift_max(swift_max(a, b), swift_max(d, e)) : (a + b + d + e) * 0.25f;
}

// One work-item per input element: overwrites gradInput (zero in a dropped odd row/column).
// Max pooling routes the gradient to the window's first maximum in scan order.
__kernel void pool2x2_backward(__global const float* gradOutput, __global const float* input, __global float* gradInput,
                               const int channels, const int height, const int width, const int mode)
{
    const size_t gid = get_global_id(0);
    if (gid >= (size_t)(channels * height * width)) return;
    const int e = (int)gid;
    const int col = e % width;
    const int t = e / width;
    const int row = t % height;
    const int c = t / height;
    const int outH = height / 2, outW = width / 2;
    const int i = row / 2, j = col / 2;
    float g = 0.0f;
    if (i < outH && j < outW) {
        const float go = gradOutput[(c * outH + i) * outW + j];
        if (mode == POOL_AVG) {
            g = 0.25f * go;
        } else {
            const int base = (c * height + 2 * i) * width + 2 * j;
            const int taps[4] = { base, base + 1, base + width, base + width + 1 };
            int best = 0;
            float bestValue = input[base];
            for (int k = 1; k < 4; ++k) {
                const float v = input[taps[k]];
                if (v > bestValue) { best = k; bestValue = v; }
            }
            const int mine = (row - 2 * i) * 2 + (col - 2 * j);
            g = (best == mine) ? go : 0.0f;
        }
    }
    gradInput[e] = g;
}
