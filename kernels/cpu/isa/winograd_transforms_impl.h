// Winograd F(2x2, 3x3)'s input and output transforms (see winograd_transforms.h), written
// once over the micro-kernels' vector traits type and included by each micro_kernel_<isa>.cpp
// after micro_kernel_impl.h, inside the same anonymous namespace. The arithmetic and its order
// are those of Lavin and Gray's matrices as conv2d_winograd.cpp states them, so every
// instruction set gives the same bits.
//
// Expects: micro_kernel_impl.h (activate_vector) and the traits type, with sub(a, b) = a - b.

// One vector of channels [c, c + lanes) of one tile; kFull: all T::kWidth lanes.
template <class T, bool kFull>
inline void winograd_input_vector(const float* const d[16], int64_t c, int lanes, float* v,
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
void winograd_input(const float* const d[16], int64_t channels, float* v, int64_t v_stride) {
  constexpr int W = T::kWidth;
  int64_t c = 0;
  for (; c + W <= channels; c += W) winograd_input_vector<T, true>(d, c, W, v, v_stride);
  if (c < channels)
    winograd_input_vector<T, false>(d, c, static_cast<int>(channels - c), v, v_stride);
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
  for (int k = 0; k < 4; ++k) {
    if (!t.y[k]) continue;
    V out = y[k];
    if (t.bias) out = T::add(out, bias);
    if (t.residual[k]) out = T::add(out, load(t.residual[k] + c));
    if (t.activate) out = activate_vector<T>(out, t.activation, alpha);
    if (kFull)
      T::store_full(t.y[k] + c, out);
    else
      T::store_n(t.y[k] + c, out, lanes);
  }
}

template <class T>
void winograd_output(const WinogradOutputTile& t) {
  constexpr int W = T::kWidth;
  int64_t c = 0;
  for (; c + W <= t.channels; c += W) winograd_output_vector<T, true>(t, c, W);
  if (c < t.channels) winograd_output_vector<T, false>(t, c, static_cast<int>(t.channels - c));
}
