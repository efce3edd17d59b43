// Winograd's input and output transforms for F(2x2, 3x3) and F(4x4, 3x3) (see
// winograd_transforms.h), written once over the micro-kernels' vector traits type and
// included by each micro_kernel_<isa>.cpp after micro_kernel_impl.h, inside the same
// anonymous namespace. The matrices are the ones conv2d_winograd.cpp states. F(2x2)'s only
// add and subtract, so every instruction set gives the same bits; F(4x4)'s also scale, with
// the set's fused multiply-add where it has one.
//
// Expects: micro_kernel_impl.h (activate_vector) and the traits type, with sub(a, b) = a - b.

// Whether a channel vector has all T::kWidth lanes (a type, so a generic lambda can pass it
// on as a template argument; <type_traits> stays out of the ISA files).
template <bool kFull>
struct FullVector {
  static constexpr bool value = kFull;
};

// fn(FullVector<true>, c, W) for every whole vector of channels, then fn(FullVector<false>,
// c, lanes) for the tail.
template <class T, class Fn>
inline void each_channel_vector(int64_t channels, Fn&& fn) {
  constexpr int W = T::kWidth;
  int64_t c = 0;
  for (; c + W <= channels; c += W) fn(FullVector<true>{}, c, W);
  if (c < channels) fn(FullVector<false>{}, c, static_cast<int>(channels - c));
}

// Output pixel k of a tile (skipped past the output's edge): value + bias + residual, then
// the fused activation, stored. The residual vector is read before the pixel's same vector
// is written (it may be the output itself).
template <class T, bool kFull>
inline void store_output_pixel(const WinogradOutputTile& t, int k, typename T::V value,
                               typename T::V bias, typename T::V alpha, int64_t c, int lanes) {
  if (!t.y[k]) return;
  auto load = [&](const float* p) { return kFull ? T::load_full(p) : T::load_n(p, lanes); };
  if (t.bias) value = T::add(value, bias);
  if (t.residual[k]) value = T::add(value, load(t.residual[k] + c));
  if (t.activate) value = activate_vector<T>(value, t.activation, alpha);
  if (kFull)
    T::store_full(t.y[k] + c, value);
  else
    T::store_n(t.y[k] + c, value, lanes);
}

// One vector of channels [c, c + lanes) of one tile; kFull: all T::kWidth lanes.
template <class T, bool kFull>
inline void winograd_input_vector(const float* const* d, int64_t c, int lanes, float* v,
                                  int64_t v_stride) {
  using V = typename T::V;
  auto load = [&](const float* p) { return kFull ? T::load_full(p) : T::load_n(p, lanes); };
  auto store = [&](int e, V x) {
    float* p = v + e * v_stride + c;
    if (kFull)
      T::store_full(p, x);
    else
      T::store_n(p, x, lanes);
  };
  V t[4][4];
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {  // t = B^T d, column j
    const V d0 = load(d[0 * 4 + j] + c), d1 = load(d[1 * 4 + j] + c);
    const V d2 = load(d[2 * 4 + j] + c), d3 = load(d[3 * 4 + j] + c);
    t[0][j] = T::sub(d0, d2);
    t[1][j] = T::add(d1, d2);
    t[2][j] = T::sub(d2, d1);
    t[3][j] = T::sub(d1, d3);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {  // V = t B, row i
    store(i * 4 + 0, T::sub(t[i][0], t[i][2]));
    store(i * 4 + 1, T::add(t[i][1], t[i][2]));
    store(i * 4 + 2, T::sub(t[i][2], t[i][1]));
    store(i * 4 + 3, T::sub(t[i][1], t[i][3]));
  }
}

template <class T>
void winograd_input_2x2(const float* const* d, int64_t channels, float* v, int64_t v_stride) {
  each_channel_vector<T>(channels, [&](auto full, int64_t c, int lanes) {
    winograd_input_vector<T, decltype(full)::value>(d, c, lanes, v, v_stride);
  });
}

template <class T, bool kFull>
inline void winograd_output_vector(const WinogradOutputTile& t, int64_t c, int lanes) {
  using V = typename T::V;
  auto load = [&](const float* p) { return kFull ? T::load_full(p) : T::load_n(p, lanes); };
  V r[2][4];
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {  // r = A^T M, column j
    const V m0 = load(t.m + (0 * 4 + j) * t.m_stride + c);
    const V m1 = load(t.m + (1 * 4 + j) * t.m_stride + c);
    const V m2 = load(t.m + (2 * 4 + j) * t.m_stride + c);
    const V m3 = load(t.m + (3 * 4 + j) * t.m_stride + c);
    r[0][j] = T::add(T::add(m0, m1), m2);
    r[1][j] = T::sub(T::sub(m1, m2), m3);
  }
  V y[4];  // Y = r A
  y[0] = T::add(T::add(r[0][0], r[0][1]), r[0][2]);
  y[1] = T::sub(T::sub(r[0][1], r[0][2]), r[0][3]);
  y[2] = T::add(T::add(r[1][0], r[1][1]), r[1][2]);
  y[3] = T::sub(T::sub(r[1][1], r[1][2]), r[1][3]);
  const V bias = t.bias ? load(t.bias + c) : T::zero();
  const V alpha = T::set1(t.alpha);
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) store_output_pixel<T, kFull>(t, k, y[k], bias, alpha, c, lanes);
}

template <class T>
void winograd_output_2x2(const WinogradOutputTile& t) {
  each_channel_vector<T>(t.channels, [&](auto full, int64_t c, int lanes) {
    winograd_output_vector<T, decltype(full)::value>(t, c, lanes);
  });
}

// ---- F(4x4, 3x3) ----------------------------------------------------------------------
// B^T applied to a column (or row) of 6: the rows of B^T, grouped so that each output is a
// sum, a difference and at most two scaled terms.
template <class T>
inline void winograd_bt6(const typename T::V x[6], typename T::V out[6]) {
  using V = typename T::V;
  const V half = T::set1(0.5f), three_halves = T::set1(1.5f), two = T::set1(2.0f);
  const V five_halves = T::set1(2.5f), minus_two = T::set1(-2.0f),
          minus_five_halves = T::set1(-2.5f);
  const V x4_minus_x2 = T::sub(x[4], x[2]);
  out[0] = T::fma(minus_two, x[2], T::fma(three_halves, T::sub(x[3], x[1]), T::add(x[0], x[4])));
  out[1] = T::fma(half, x[3], T::fma(minus_five_halves, x[2], T::add(x[1], x[4])));
  out[2] = T::fma(five_halves, x[3], T::fma(half, x[2], T::sub(x[4], x[1])));
  out[3] = T::fma(two, T::sub(x[3], x[1]), x4_minus_x2);
  out[4] = T::fma(half, T::sub(x[1], x[3]), x4_minus_x2);
  out[5] = T::fma(minus_two, x[3], T::fma(three_halves, x4_minus_x2, T::add(x[1], x[5])));
}

// A^T applied to a column (or row) of 6: four outputs.
template <class T>
inline void winograd_at6(const typename T::V x[6], typename T::V out[4]) {
  using V = typename T::V;
  const V sum12 = T::add(x[1], x[2]), diff21 = T::sub(x[2], x[1]);
  out[0] = T::add(T::add(sum12, x[0]), T::add(x[3], x[4]));
  out[1] = T::fma(T::set1(-2.0f), x[4], T::fma(T::set1(0.5f), x[3], diff21));
  out[2] = T::fma(T::set1(4.0f), x[4], T::fma(T::set1(0.25f), x[3], sum12));
  out[3] = T::add(T::fma(T::set1(-8.0f), x[4], T::fma(T::set1(0.125f), x[3], diff21)), x[5]);
}

template <class T, bool kFull>
inline void winograd_input_vector_4x4(const float* const* d, int64_t c, int lanes, float* v,
                                      int64_t v_stride) {
  using V = typename T::V;
  auto load = [&](const float* p) { return kFull ? T::load_full(p) : T::load_n(p, lanes); };
  V t[6][6];  // t = B^T d: t[i][j], column j of d transformed
#pragma GCC unroll 6
  for (int j = 0; j < 6; ++j) {
    V column[6], out[6];
#pragma GCC unroll 6
    for (int i = 0; i < 6; ++i) column[i] = load(d[i * 6 + j] + c);
    winograd_bt6<T>(column, out);
#pragma GCC unroll 6
    for (int i = 0; i < 6; ++i) t[i][j] = out[i];
  }
#pragma GCC unroll 6
  for (int i = 0; i < 6; ++i) {  // V = t B, row i
    V out[6];
    winograd_bt6<T>(t[i], out);
#pragma GCC unroll 6
    for (int j = 0; j < 6; ++j) {
      float* p = v + (i * 6 + j) * v_stride + c;
      if (kFull)
        T::store_full(p, out[j]);
      else
        T::store_n(p, out[j], lanes);
    }
  }
}

template <class T>
void winograd_input_4x4(const float* const* d, int64_t channels, float* v, int64_t v_stride) {
  each_channel_vector<T>(channels, [&](auto full, int64_t c, int lanes) {
    winograd_input_vector_4x4<T, decltype(full)::value>(d, c, lanes, v, v_stride);
  });
}

template <class T, bool kFull>
inline void winograd_output_vector_4x4(const WinogradOutputTile& t, int64_t c, int lanes) {
  using V = typename T::V;
  auto load = [&](const float* p) { return kFull ? T::load_full(p) : T::load_n(p, lanes); };
  V r[4][6];  // r = A^T M: r[i][j], column j of M transformed
#pragma GCC unroll 6
  for (int j = 0; j < 6; ++j) {
    V column[6], out[4];
#pragma GCC unroll 6
    for (int i = 0; i < 6; ++i) column[i] = load(t.m + (i * 6 + j) * t.m_stride + c);
    winograd_at6<T>(column, out);
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) r[i][j] = out[i];
  }
  const V bias = t.bias ? load(t.bias + c) : T::zero();
  const V alpha = T::set1(t.alpha);
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {  // Y = r A, row i
    V y[4];
    winograd_at6<T>(r[i], y);
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j)
      store_output_pixel<T, kFull>(t, i * 4 + j, y[j], bias, alpha, c, lanes);
  }
}

template <class T>
void winograd_output_4x4(const WinogradOutputTile& t) {
  each_channel_vector<T>(t.channels, [&](auto full, int64_t c, int lanes) {
    winograd_output_vector_4x4<T, decltype(full)::value>(t, c, lanes);
  });
}
