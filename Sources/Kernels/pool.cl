// pool.cl — 2×2 stride-2 max/average pooling and its gradient; odd sizes round down.

#define POOL_MAX 0
#define POOL_AVG 1

// Swift's max(x, y): y when y >= x, else x (so the result is x when either is NaN and x came first).
static inline float swift_max(const float x, const float y) { return (y >= x) ? y : x; }

// The input index of the top-left tap of output o's 2×2 window.
static inline int window_base(const int o, const int height, const int width)
{
    const int outH = height / 2, outW = width / 2;
    const int j = o % outW;
    const int t = o / outW;
    const int i = t % outH;
    const int c = t / outH;
    return (c * height + 2 * i) * width + 2 * j;
}

// One work-item per output element of channels × ⌊height/2⌋ × ⌊width/2⌋.
__kernel void pool2x2_forward(__global const float* input, __global float* output,
                              const int channels, const int height, const int width, const int mode)
{
    const size_t gid = get_global_id(0);
    if (gid >= (size_t)(channels * (height / 2) * (width / 2))) return;
    const int o = (int)gid;
    const int base = window_base(o, height, width);
    const float a = input[base], b = input[base + 1], d = input[base + width], e = input[base + width + 1];
    output[o] = (mode == POOL_MAX) ? swift_max(swift_max(a, b), swift_max(d, e)) : (a + b + d + e) * 0.25f;
}

// Where input element e of channels × height × width lies: returns its tap (0…3, scan order) in its 2×2 window and
// sets *output to the window's output index and *base to the window's top-left input index; returns -1 for an
// element of a dropped odd row or column.
static inline int window_tap(const int e, const int height, const int width, int* output, int* base)
{
    const int col = e % width;
    const int t = e / width;
    const int row = t % height;
    const int c = t / height;
    const int outH = height / 2, outW = width / 2;
    const int i = row / 2, j = col / 2;
    if (i >= outH || j >= outW) return -1;
    *output = (c * outH + i) * outW + j;
    *base = (c * height + 2 * i) * width + 2 * j;
    return (row - 2 * i) * 2 + (col - 2 * j);
}

// One work-item per input element: overwrites gradInput (zero in a dropped odd row/column).
// Max pooling routes the gradient to the window's first maximum in scan order.
__kernel void pool2x2_backward(__global const float* gradOutput, __global const float* input, __global float* gradInput,
                               const int channels, const int height, const int width, const int mode)
{
    const size_t gid = get_global_id(0);
    if (gid >= (size_t)(channels * height * width)) return;
    int o, base;
    const int mine = window_tap((int)gid, height, width, &o, &base);
    float g = 0.0f;
    if (mine >= 0) {
        const float go = gradOutput[o];
        if (mode == POOL_AVG) {
            g = 0.25f * go;
        } else {
            const int taps[4] = { base, base + 1, base + width, base + width + 1 };
            int best = 0;
            float bestValue = input[base];
            for (int k = 1; k < 4; ++k) {
                const float v = input[taps[k]];
                if (v > bestValue) { best = k; bestValue = v; }
            }
            g = (best == mine) ? go : 0.0f;
        }
    }
    gradInput[gid] = g;
}

// Max pooling that also records each window's argmax as a 2-bit code (0…3 in scan order, ties to the first,
// chosen as pool2x2_backward chooses it): output o's code is bits 2·(o%16) of word o/16. Outputs are those of
// pool2x2_forward. One work-item per argmax word (16 outputs).
__kernel void max_pool2x2_argmax(__global const float* input, __global float* output, __global uint* argmax,
                                 const int channels, const int height, const int width)
{
    const int outputs = channels * (height / 2) * (width / 2);
    const int first = (int)get_global_id(0) * 16;
    if (first >= outputs) return;
    const int last = min(first + 16, outputs);
    uint word = 0;
    for (int o = first; o < last; ++o) {
        const int base = window_base(o, height, width);
        const float a = input[base], b = input[base + 1], d = input[base + width], e = input[base + width + 1];
        output[o] = swift_max(swift_max(a, b), swift_max(d, e));
        uint best = 0;
        float bestValue = a;
        if (b > bestValue) { best = 1; bestValue = b; }
        if (d > bestValue) { best = 2; bestValue = d; }
        if (e > bestValue) { best = 3; }
        word |= best << (2 * (o - first));
    }
    argmax[first / 16] = word;
}

// Gradient of max pooling from recorded argmax codes; overwrites gradInput. One work-item per input element.
__kernel void max_pool2x2_backward_argmax(__global const float* gradOutput, __global const uint* argmax,
                                          __global float* gradInput, const int channels, const int height, const int width)
{
    const size_t gid = get_global_id(0);
    if (gid >= (size_t)(channels * height * width)) return;
    int o, base;
    const int mine = window_tap((int)gid, height, width, &o, &base);
    float g = 0.0f;
    if (mine >= 0 && (int)((argmax[o >> 4] >> (2 * (o & 15))) & 3u) == mine) g = gradOutput[o];
    gradInput[gid] = g;
}
