// elementwise.cl — fills, ReLU forward and backward, row copies and per-pixel weights, one work-item per element.

// x[offset ..< offset + count] = value. (clEnqueueFillBuffer of 2 GiB or more hangs or fails later on some NVIDIA
// drivers; a kernel does the same work on every device.)
__kernel void fill_floats(__global float* x, const float value, const int offset, const int count)
{
    const size_t i = get_global_id(0);
    if (i >= (size_t)count) return;
    x[(size_t)offset + i] = value;
}

// y = max(x, 0) with Swift's semantics: NaN stays NaN, -0 becomes +0. x and y may be the same buffer.
__kernel void relu_forward(__global const float* x, __global float* y, const int count)
{
    const size_t i = get_global_id(0);
    if (i >= (size_t)count) return;
    const float v = x[i];
    y[i] = (0.0f >= v) ? 0.0f : v;
}

// gradient = 0 wherever the forward output is not > 0, in place.
__kernel void relu_backward(__global float* gradient, __global const float* output, const int count)
{
    const size_t i = get_global_id(0);
    if (i >= (size_t)count) return;
    if (!(output[i] > 0.0f)) gradient[i] = 0.0f;
}

// Packed ReLU masks (memory plan): bit i%32 of word i/32 is (values[i] > 0). One work-item per word.
__kernel void pack_positive_mask(__global const float* values, __global uint* mask, const int count)
{
    const size_t word = get_global_id(0);
    const int base = (int)word * 32;
    if (base >= count) return;
    const int n = min(32, count - base);
    uint bits = 0;
    for (int b = 0; b < n; ++b)
        if (values[base + b] > 0.0f) bits |= 1u << b;
    mask[word] = bits;
}

// gradient = 0 wherever the mask bit is clear, in place. One work-item per element.
__kernel void apply_positive_mask(__global float* gradient, __global const uint* mask, const int count)
{
    const size_t i = get_global_id(0);
    if (i >= (size_t)count) return;
    if (((mask[i >> 5] >> (i & 31)) & 1u) == 0u) gradient[i] = 0.0f;
}

// Rows sourceRow… of every channel of a channels × sourceHeight × width map into rows destinationRow… of a
// channels × destinationHeight × width map. One work-item per copied element (a kernel rather than
// clEnqueueCopyBufferRect, which some drivers mishandle between sub-buffers of one buffer).
__kernel void copy_rows(__global const float* source, const int sourceHeight, const int sourceRow,
                        __global float* destination, const int destinationHeight, const int destinationRow,
                        const int rows, const int width, const int count)
{
    const size_t gid = get_global_id(0);
    if (gid >= (size_t)count) return;
    const int e = (int)gid;
    const int x = e % width;
    const int t = e / width;
    const int r = t % rows;
    const int c = t / rows;
    destination[(c * destinationHeight + destinationRow + r) * width + x] = source[(c * sourceHeight + sourceRow + r) * width + x];
}

// output[c·pixels + p] = features[c·pixels + p] · weights[p]: a style mask on every channel. One work-item per element.
__kernel void multiply_pixels(__global const float* features, __global const float* weights, __global float* output,
                              const int pixels, const int count)
{
    const size_t i = get_global_id(0);
    if (i >= (size_t)count) return;
    output[i] = features[i] * weights[(int)i % pixels];
}
