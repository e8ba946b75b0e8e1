// vector.cl — the optimisers' vector ops: axpy, scale, Adam, reductions (dot, L1) and vector-bank dots and combinations.

// y += alpha · x.
__kernel void axpy(const float alpha, __global const float* x, __global float* y, const int count)
{
    const size_t i = get_global_id(0);
    if (i < (size_t)count) y[i] += alpha * x[i];
}

// x *= alpha.
__kernel void scale(__global float* x, const float alpha, const int count)
{
    const size_t i = get_global_id(0);
    if (i < (size_t)count) x[i] *= alpha;
}

// torch7 optim.adam with the bias corrections folded into stepSize by the caller.
__kernel void adam_step(__global float* x, __global const float* gradient, __global float* m, __global float* v,
                        const float stepSize, const float beta1, const float oneMinusBeta1,
                        const float beta2, const float oneMinusBeta2, const float epsilon, const int count)
{
    const size_t i = get_global_id(0);
    if (i >= (size_t)count) return;
    const float g = gradient[i];
    const float mi = beta1 * m[i] + oneMinusBeta1 * g;
    const float vi = beta2 * v[i] + oneMinusBeta2 * g * g;
    m[i] = mi;
    v[i] = vi;
    x[i] -= stepSize * mi / (sqrt(vi) + epsilon);
}

// partials[group] = Σ a·b over the group's grid-stride share.
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void dot_partial(__global const float* a, __global const float* b, const int count, __global float* partials)
{
    __local float scratch[REDUCE_WG];
    float sum = 0.0f;
    for (int i = (int)get_global_id(0); i < count; i += (int)get_global_size(0)) sum += a[i] * b[i];
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) partials[get_group_id(0)] = total;
}

// partials[group] = Σ |x| over the group's grid-stride share.
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void sum_abs_partial(__global const float* x, const int count, __global float* partials)
{
    __local float scratch[REDUCE_WG];
    float sum = 0.0f;
    for (int i = (int)get_global_id(0); i < count; i += (int)get_global_size(0)) sum += fabs(x[i]);
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) partials[get_group_id(0)] = total;
}

// For every row r of a bank chunk (rows `stride` floats apart): partials[base + r·groups + g] = Σ query·row_r
// over group g's share of `length`. Launch: global (groups·REDUCE_WG, rows), local (REDUCE_WG, 1).
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void bank_dot_partial(__global const float* query, __global const float* bank, const long stride, const int length,
                      __global float* partials, const int base)
{
    __local float scratch[REDUCE_WG];
    const int r = (int)get_global_id(1);
    __global const float* row = bank + (size_t)r * (size_t)stride;
    float sum = 0.0f;
    for (int i = (int)get_global_id(0); i < length; i += (int)get_global_size(0)) sum += query[i] * row[i];
    const float total = group_sum(sum, scratch);
    if (get_local_id(0) == 0) partials[base + r * (int)get_num_groups(0) + (int)get_group_id(0)] = total;
}

// out = (start ? ownCoefficient·out or 0 : out) + Σ_{t<count} coefficients[t]·row(rows[t]) over `length` elements,
// in the order given. `out` may be the bank chunk itself (offset outOffset), whose own row is never listed.
__kernel void bank_combine(__global const float* bank, const long stride, const int length,
                           const int16 rowList, const float16 coefficientList, const int count,
                           __global float* out, const long outOffset,
                           const int start, const int hasOwn, const float ownCoefficient)
{
    const size_t i = get_global_id(0);
    if (i >= (size_t)length) return;
    __global float* target = out + outOffset;
    float acc = start ? (hasOwn ? ownCoefficient * target[i] : 0.0f) : target[i];
    // The listed rows in order, through the vectors' components (an indexed private array would live in slow memory).
#define BANK_TERM(t, s) if (t < count) acc += coefficientList.s * bank[(size_t)rowList.s * (size_t)stride + i];
    BANK_TERM(0, s0) BANK_TERM(1, s1) BANK_TERM(2, s2) BANK_TERM(3, s3) BANK_TERM(4, s4) BANK_TERM(5, s5)
    BANK_TERM(6, s6) BANK_TERM(7, s7) BANK_TERM(8, s8) BANK_TERM(9, s9) BANK_TERM(10, sa) BANK_TERM(11, sb)
    BANK_TERM(12, sc) BANK_TERM(13, sd) BANK_TERM(14, se) BANK_TERM(15, sf)
#undef BANK_TERM
    target[i] = acc;
}
