// elementwise.cl — ReLU forward and backward, one work-item per element.

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
