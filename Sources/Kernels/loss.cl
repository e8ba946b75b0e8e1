// loss.cl — content, style and total-variation losses: gradients plus per-group partial sums, then a reduction into losses[slot].

// partials[group] = Σ (F − P)² over the group's elements; gradient += gradScale · (F − P).
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void content_loss_partial(__global const float* features, __global const float* target, const int count,
                          const float gradScale, __global float* gradient, __global float* partials)
{
    __local float scratch[REDUCE_WG];
    float sum = 0.0f;
    for (int i = (int)get_global_id(0); i < count; i += (int)get_global_size(0)) {
        const float d = features[i] - target[i];
        sum += d * d;
        gradient[i] += gradScale * d;
    }
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) partials[get_group_id(0)] = total;
}

// partials[group] = Σ w·(F − P)² over the group's elements; gradient += gradScale · w·(F − P) (the temporal loss).
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void weighted_content_loss_partial(__global const float* features, __global const float* target, __global const float* weights,
                                   const int count, const float gradScale, __global float* gradient, __global float* partials)
{
    __local float scratch[REDUCE_WG];
    float sum = 0.0f;
    for (int i = (int)get_global_id(0); i < count; i += (int)get_global_size(0)) {
        const float d = features[i] - target[i], wd = weights[i] * d;
        sum += wd * d;
        gradient[i] += gradScale * wd;
    }
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) partials[get_group_id(0)] = total;
}

// partials[group] = Σ (G − A)² over the group's elements; gradGram = gradScale · (G − A) (overwritten).
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void style_loss_partial(__global const float* gram, __global const float* target, const int count,
                        const float gradScale, __global float* gradGram, __global float* partials)
{
    __local float scratch[REDUCE_WG];
    float sum = 0.0f;
    for (int i = (int)get_global_id(0); i < count; i += (int)get_global_size(0)) {
        const float d = gram[i] - target[i];
        sum += d * d;
        gradGram[i] = gradScale * d;
    }
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) partials[get_group_id(0)] = total;
}

// TV: each element (c, i, j) with i < H−1 and j < W−1 contributes ½[(x[i,j]−x[i,j+1])² + (x[i,j]−x[i+1,j])²];
// gradient += gradScale · ∂/∂x, gathered per element (its own pair, its left neighbour's, its upper neighbour's).
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void tv_loss_partial(__global const float* image, const int channels, const int height, const int width,
                     const float gradScale, __global float* gradient, __global float* partials)
{
    __local float scratch[REDUCE_WG];
    const int count = channels * height * width;
    float sum = 0.0f;
    for (int e = (int)get_global_id(0); e < count; e += (int)get_global_size(0)) {
        const int col = e % width;
        const int row = (e / width) % height;
        const float x = image[e];
        float g = 0.0f;
        if (row < height - 1 && col < width - 1) {
            const float dx = x - image[e + 1], dy = x - image[e + width];
            sum += 0.5f * (dx * dx + dy * dy);
            g += dx + dy;
        }
        if (row < height - 1 && col >= 1) g -= image[e - 1] - x;
        if (row >= 1 && col < width - 1) g -= image[e - width] - x;
        gradient[e] += gradScale * g;
    }
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) partials[get_group_id(0)] = total;
}

// losses[slot] = scale · Σ partials[0..<count]. Launch one work-group of REDUCE_WG items.
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void reduce_to_slot(__global const float* partials, const int count, const float scale,
                    __global float* losses, const int slot)
{
    __local float scratch[REDUCE_WG];
    float sum = 0.0f;
    for (int i = (int)get_local_id(0); i < count; i += REDUCE_WG) sum += partials[i];
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) losses[slot] = scale * total;
}
