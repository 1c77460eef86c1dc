// A C model of the grouped FFN's products on x86-64-v4 (16 f32 lanes), over
// 256 partitions of 1536 x 512 f32 (w1, w3 and w2 stacked; 768 MiB, so the
// weights come from DRAM as in `small`'s prefill and learn step), one core:
//   forward   y[t, r] = sum_c w[r, c] * x[t, c]  (prefill, the learn forward)
//   backward  dx[t, c] = sum_r w[r, c] * dy[t, r]  (the learn backward's
//             input gradient)
// for TOKENS tokens a partition. It compares the lowering's kernels with the
// ones a K-major weight layout would allow (docs/performance.md, "A K-major
// layout for the partitions, in a C model"); it is not part of the build.
// Its K-major advantage did not carry over to yanc in three tries (same
// section): its figures are a reason to measure in yanc, not a result.
//
//   clang-19 -O3 -march=x86-64-v4 [-DSTRIPE=64] -o /tmp/gfm \
//       scripts/grouped-ffn-tile-model.c -lm
//   /tmp/gfm MODE TOKENS [PARTITIONS]    # e.g. dot 16, then outer 16
//
// MODE (forward)
//   dot       the lowering's dot tile (KernelEmitter::dotRows, x86-64-v4's
//             KernelTiles): 8 rows x 2 tokens of row-major w, 16
//             accumulators reduced at the end of each tile, 3 rows of the
//             next row block prefetched a token tile, rotating; a row block
//             is read from DRAM by its first token tiles, from L1 by the rest.
//   outer     w stored K-major in stripes of STRIPE rows ([r / S][c][S], S =
//             32 unless -DSTRIPE=): for each c, S / 16 weight vectors x 8
//             broadcast tokens into accumulators, no reduction; each weight
//             line is read once per 8 tokens, in address order, prefetched
//             4 KiB ahead.
//   stripe    row-major w, each stripe transposed into an L2 scratch and
//             then run as `outer`: the outer tile without changing the
//             stored layout.
// MODE (backward)
//   dx-rows   the lowering's transposed tile (KernelEmitter::accumulateRows):
//             4 outputs x 4 vectors over 16-row cache blocks of row-major w,
//             with its two prefetches (the next block's rows into L2 at each
//             column tile, the line two column tiles ahead into L1).
//   dx-kmajor w K-major as for `outer`: a dot tile of 8 columns x 2 tokens
//             whose lanes run down a stripe's rows, summed over the stripes
//             and reduced once.
//   dx-transpose  w K-major as for `outer`: each stripe's rows of 16
//             columns transposed in registers, then an outer product with 8
//             tokens into 8 accumulators (dx loaded and stored once a
//             stripe); the weights in address order.
// PARTITIONS = 1 keeps one partition (3 MiB) in cache: the kernel's
// compute-bound rate. Every mode checks partition 0 against a double sum.
#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef STRIPE
#define STRIPE 32
#endif
// The outer tile holds kGroup x kStripeVectors accumulators: 8 tokens for
// stripes of up to 3 vectors, 4 for 4 vectors (32 would leave no register
// for the weights).
enum { kCols = 512, kRows = 1536, kStripe = STRIPE,
       kStripeVectors = STRIPE / 16, kGroup = kStripeVectors <= 3 ? 8 : 4 };
_Static_assert(STRIPE % 16 == 0 && kRows % STRIPE == 0 && STRIPE <= 64,
               "a stripe is 1-4 vectors and divides the rows");

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// The lowering's tile: rows [r0, r0 + 8) x tokens t0, t0 + 1. Token tile k
// prefetches rows 3k, 3k + 1, 3k + 2 (mod 8) of the next row block at the
// column it loads (KernelEmitter::nextBlockRowsOfTile).
static void dotTile(const float *w, const float *x, float *y, int r0, int t0) {
  __m512 acc[16];
  for (int i = 0; i < 16; ++i)
    acc[i] = _mm512_setzero_ps();
  int next = r0 + 8 < kRows ? r0 + 8 : r0, tile = t0 / 2;
  for (int c = 0; c < kCols; c += 16) {
    for (int i = 0; i < 3; ++i)
      _mm_prefetch((const char *)(w + (size_t)(next + (3 * tile + i) % 8) *
                                          kCols + c),
                   _MM_HINT_T0);
    __m512 x0 = _mm512_loadu_ps(x + t0 * kCols + c);
    __m512 x1 = _mm512_loadu_ps(x + (t0 + 1) * kCols + c);
    for (int r = 0; r < 8; ++r) {
      __m512 v = _mm512_loadu_ps(w + (size_t)(r0 + r) * kCols + c);
      acc[2 * r] = _mm512_fmadd_ps(v, x0, acc[2 * r]);
      acc[2 * r + 1] = _mm512_fmadd_ps(v, x1, acc[2 * r + 1]);
    }
  }
  for (int i = 0; i < 16; ++i)
    y[(t0 + (i & 1)) * kRows + r0 + (i >> 1)] = _mm512_reduce_add_ps(acc[i]);
}

static void dotPartition(const float *w, const float *x, float *y, int tokens) {
  for (int r0 = 0; r0 < kRows; r0 += 8)
    for (int t0 = 0; t0 + 2 <= tokens; t0 += 2)
      dotTile(w, x, y, r0, t0);
}

// One stripe of kStripe rows, K-major (s[c * kStripe + i] = w[r0 + i, c]),
// for tokens [t0, t0 + 8). The weights are one address-ordered stream; each
// step prefetches its lines 4 KiB ahead (1 KiB ahead and none were 10-25%
// slower from DRAM, 16 KiB about the same).
static void outerTile(const float *s, const float *x, float *y, int r0, int t0) {
  __m512 acc[kGroup][kStripeVectors];
  for (int t = 0; t < kGroup; ++t)
    for (int v = 0; v < kStripeVectors; ++v)
      acc[t][v] = _mm512_setzero_ps();
  for (int c = 0; c < kCols; ++c) {
    __m512 wv[kStripeVectors];
    for (int v = 0; v < kStripeVectors; ++v) {
      const float *line = s + c * kStripe + 16 * v;
      _mm_prefetch((const char *)line + 4096, _MM_HINT_T0);
      wv[v] = _mm512_load_ps(line);
    }
    for (int t = 0; t < kGroup; ++t) {
      __m512 xt = _mm512_set1_ps(x[(t0 + t) * kCols + c]);
      for (int v = 0; v < kStripeVectors; ++v)
        acc[t][v] = _mm512_fmadd_ps(wv[v], xt, acc[t][v]);
    }
  }
  for (int t = 0; t < kGroup; ++t)
    for (int v = 0; v < kStripeVectors; ++v)
      _mm512_storeu_ps(y + (t0 + t) * kRows + r0 + 16 * v, acc[t][v]);
}

static void outerPartition(const float *wk, const float *x, float *y,
                           int tokens) {
  for (int r0 = 0; r0 < kRows; r0 += kStripe)
    for (int t0 = 0; t0 + kGroup <= tokens; t0 += kGroup)
      outerTile(wk + (size_t)r0 * kCols, x, y, r0, t0);
}

// 16 x 16 transpose: dst[j * ldd + i] = src[i * lds + j].
// a[j] lane i becomes a[i] lane j.
static inline void transposeRegisters(__m512 a[16]) {
  __m512 b[16];
  for (int i = 0; i < 16; i += 2) {
    b[i] = _mm512_unpacklo_ps(a[i], a[i + 1]);
    b[i + 1] = _mm512_unpackhi_ps(a[i], a[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    __m512d p = _mm512_castps_pd(b[i]), q = _mm512_castps_pd(b[i + 2]);
    __m512d u = _mm512_castps_pd(b[i + 1]), v = _mm512_castps_pd(b[i + 3]);
    a[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(p, q));
    a[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(p, q));
    a[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(u, v));
    a[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(u, v));
  }
  const __m512i lo128 = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9,
                                          10, 11, 24, 25, 26, 27);
  const __m512i hi128 = _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13,
                                          14, 15, 28, 29, 30, 31);
  for (int i = 0; i < 4; ++i) {
    b[i] = _mm512_permutex2var_ps(a[i], lo128, a[i + 4]);
    b[i + 4] = _mm512_permutex2var_ps(a[i], hi128, a[i + 4]);
    b[i + 8] = _mm512_permutex2var_ps(a[i + 8], lo128, a[i + 12]);
    b[i + 12] = _mm512_permutex2var_ps(a[i + 8], hi128, a[i + 12]);
  }
  const __m512i lo256 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18,
                                          19, 20, 21, 22, 23);
  const __m512i hi256 = _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 24,
                                          25, 26, 27, 28, 29, 30, 31);
  for (int i = 0; i < 8; ++i) {
    a[i] = _mm512_permutex2var_ps(b[i], lo256, b[i + 8]);
    a[i + 8] = _mm512_permutex2var_ps(b[i], hi256, b[i + 8]);
  }
}

static void transpose16(const float *src, int lds, float *dst, int ldd) {
  __m512 a[16];
  for (int i = 0; i < 16; ++i)
    a[i] = _mm512_loadu_ps(src + i * lds);
  transposeRegisters(a);
  for (int i = 0; i < 16; ++i)
    _mm512_storeu_ps(dst + i * ldd, a[i]);
}

static float scratch[kCols * kStripe] __attribute__((aligned(64)));

static void stripePartition(const float *w, const float *x, float *y,
                            int tokens) {
  for (int r0 = 0; r0 < kRows; r0 += kStripe) {
    for (int g = 0; g < kStripe; g += 16)
      for (int c = 0; c < kCols; c += 16)
        transpose16(w + (size_t)(r0 + g) * kCols + c, kCols,
                    scratch + c * kStripe + g, kStripe);
    for (int t0 = 0; t0 + kGroup <= tokens; t0 += kGroup)
      outerTile(scratch, x, y, r0, t0);
  }
}

// dx-rows: the lowering's transposed tile, outputs [o0, o0 + 4) x columns
// [c, c + 64) over input rows [r0, r0 + 16); each step prefetches its row's
// line two column tiles on.
static void rowsTile(const float *w, const float *dy, float *dx, int r0,
                     int o0, int c) {
  __m512 acc[4][4];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j)
      acc[i][j] = _mm512_loadu_ps(dx + (o0 + i) * kCols + c + 16 * j);
  int ahead = c + 128 < kCols ? c + 128 : kCols - 1;
  for (int r = r0; r < r0 + 16; ++r) {
    const float *row = w + (size_t)r * kCols;
    _mm_prefetch((const char *)(row + ahead), _MM_HINT_T0);
    __m512 v[4];
    for (int j = 0; j < 4; ++j)
      v[j] = _mm512_loadu_ps(row + c + 16 * j);
    for (int i = 0; i < 4; ++i) {
      __m512 coef = _mm512_set1_ps(dy[(o0 + i) * kRows + r]);
      for (int j = 0; j < 4; ++j)
        acc[i][j] = _mm512_fmadd_ps(coef, v[j], acc[i][j]);
    }
  }
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j)
      _mm512_storeu_ps(dx + (o0 + i) * kCols + c + 16 * j, acc[i][j]);
}

// Blocks of 16 input rows outermost; per column tile, the next block's rows
// at its lines into L2 first.
static void rowsPartition(const float *w, const float *dy, float *dx,
                          int tokens) {
  for (int r0 = 0; r0 < kRows; r0 += 16)
    for (int c = 0; c < kCols; c += 64) {
      for (int r = r0 + 16; r < r0 + 32 && r < kRows; ++r)
        for (int j = 0; j < 4; ++j)
          _mm_prefetch((const char *)(w + (size_t)r * kCols + c + 16 * j),
                       _MM_HINT_T1);
      for (int o0 = 0; o0 + 4 <= tokens; o0 += 4)
        rowsTile(w, dy, dx, r0, o0, c);
    }
}

// dx-kmajor: columns [c0, c0 + 8) x tokens t0, t0 + 1; lane l of an
// accumulator sums rows l mod 16 of every stripe, reduced once at the end.
static void kmajorTile(const float *wk, const float *dy, float *dx, int c0,
                       int t0) {
  __m512 acc[8][2];
  for (int i = 0; i < 8; ++i)
    acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int r0 = 0; r0 < kRows; r0 += kStripe) {
    const float *block = wk + (size_t)r0 * kCols + (size_t)c0 * kStripe;
    for (int v = 0; v < kStripeVectors; ++v) {
      __m512 d0 = _mm512_loadu_ps(dy + t0 * kRows + r0 + 16 * v);
      __m512 d1 = _mm512_loadu_ps(dy + (t0 + 1) * kRows + r0 + 16 * v);
      for (int i = 0; i < 8; ++i) {
        __m512 wv = _mm512_load_ps(block + i * kStripe + 16 * v);
        acc[i][0] = _mm512_fmadd_ps(wv, d0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(wv, d1, acc[i][1]);
      }
    }
  }
  for (int i = 0; i < 8; ++i) {
    dx[t0 * kCols + c0 + i] += _mm512_reduce_add_ps(acc[i][0]);
    dx[(t0 + 1) * kCols + c0 + i] += _mm512_reduce_add_ps(acc[i][1]);
  }
}

static void kmajorPartition(const float *wk, const float *dy, float *dx,
                            int tokens) {
  for (int c0 = 0; c0 < kCols; c0 += 8)
    for (int t0 = 0; t0 + 2 <= tokens; t0 += 2)
      kmajorTile(wk, dy, dx, c0, t0);
}

// dx-transpose: for each stripe and block of 16 columns, the stripe's rows
// of those columns (16 x 16 at a time, address order, prefetched 4 KiB
// ahead) are transposed in registers into vectors over the columns, one a
// row, and accumulated as an outer product with 8 tokens' dy; dx's 8
// vectors are loaded and stored once a stripe.
static void transposeTile(const float *stripe, const float *dy, float *dx,
                          int r0, int c0, int t0) {
  __m512 acc[kGroup];
  for (int t = 0; t < kGroup; ++t)
    acc[t] = _mm512_loadu_ps(dx + (t0 + t) * kCols + c0);
  for (int h = 0; h < kStripe; h += 16) {
    __m512 rows[16];
    for (int j = 0; j < 16; ++j) {
      const float *line = stripe + (size_t)(c0 + j) * kStripe + h;
      _mm_prefetch((const char *)line + 4096, _MM_HINT_T0);
      rows[j] = _mm512_load_ps(line);
    }
    transposeRegisters(rows); // rows[i]: row r0 + h + i at columns c0..+15
    for (int i = 0; i < 16; ++i)
      for (int t = 0; t < kGroup; ++t)
        acc[t] = _mm512_fmadd_ps(
            rows[i], _mm512_set1_ps(dy[(t0 + t) * kRows + r0 + h + i]),
            acc[t]);
  }
  for (int t = 0; t < kGroup; ++t)
    _mm512_storeu_ps(dx + (t0 + t) * kCols + c0, acc[t]);
}

static void transposePartition(const float *wk, const float *dy, float *dx,
                               int tokens) {
  for (int r0 = 0; r0 < kRows; r0 += kStripe)
    for (int c0 = 0; c0 < kCols; c0 += 16)
      for (int t0 = 0; t0 + kGroup <= tokens; t0 += kGroup)
        transposeTile(wk + (size_t)r0 * kCols, dy, dx, r0, c0, t0);
}

enum Mode { kDot, kOuter, kStripeMode, kDxRows, kDxKmajor, kDxTranspose };
static const char *const kModes[] = {"dot",     "outer",     "stripe",
                                     "dx-rows", "dx-kmajor", "dx-transpose"};

static void runPartition(enum Mode mode, const float *w, const float *in,
                         float *out, int tokens) {
  switch (mode) {
  case kDot: dotPartition(w, in, out, tokens); break;
  case kOuter: outerPartition(w, in, out, tokens); break;
  case kStripeMode: stripePartition(w, in, out, tokens); break;
  case kDxRows: rowsPartition(w, in, out, tokens); break;
  case kDxKmajor: kmajorPartition(w, in, out, tokens); break;
  case kDxTranspose: transposePartition(w, in, out, tokens); break;
  }
}

// Partition 0's largest difference from a double-precision sum.
static double worstError(int backward, const float *in, const float *out,
                         int tokens) {
  int outs = backward ? kCols : kRows, sums = backward ? kRows : kCols;
  double worst = 0;
  for (int t = 0; t < tokens; ++t)
    for (int o = 0; o < outs; ++o) {
      double s = 0;
      for (int k = 0; k < sums; ++k) {
        int r = backward ? k : o, c = backward ? o : k;
        s += (double)((float)((r * 3 + c * 7) % 11) * 0.01f) * in[t * sums + k];
      }
      worst = fmax(worst, fabs(s - out[t * outs + o]));
    }
  return worst;
}

int main(int argc, char **argv) {
  int mode = -1;
  for (int m = 0; argc >= 3 && m < 6; ++m)
    if (!strcmp(argv[1], kModes[m]))
      mode = m;
  if (mode < 0)
    return fprintf(stderr, "usage: %s dot|outer|stripe|dx-rows|dx-kmajor|"
                           "dx-transpose TOKENS [PARTITIONS]\n", argv[0]), 2;
  int tokens = atoi(argv[2]), partitions = argc > 3 ? atoi(argv[3]) : 256;
  if (tokens < kGroup || tokens % kGroup || partitions < 1)
    return fprintf(stderr, "TOKENS a multiple of %d, PARTITIONS >= 1\n",
                   kGroup), 2;
  int backward = mode >= kDxRows;
  int kmajor = mode == kOuter || mode == kDxKmajor || mode == kDxTranspose;
  size_t per = (size_t)kRows * kCols, weights = per * partitions;
  size_t ins = (size_t)tokens * (backward ? kRows : kCols);
  size_t outs = (size_t)tokens * (backward ? kCols : kRows);
  float *w = aligned_alloc(64, weights * 4);
  float *in = aligned_alloc(64, partitions * ins * 4);
  float *out = aligned_alloc(64, partitions * outs * 4);
  if (!w || !in || !out)
    return fprintf(stderr, "out of memory\n"), 1;
  // The same values in either layout: K-major stripes for outer, dx-kmajor
  // and dx-transpose.
  for (int p = 0; p < partitions; ++p)
    for (int r = 0; r < kRows; ++r)
      for (int c = 0; c < kCols; ++c) {
        size_t at = kmajor ? (size_t)(r / kStripe) * kStripe * kCols +
                                 c * kStripe + r % kStripe
                           : (size_t)r * kCols + c;
        w[p * per + at] = (float)((p + r * 3 + c * 7) % 11) * 0.01f;
      }
  for (size_t i = 0; i < partitions * ins; ++i)
    in[i] = (float)(i % 5) * 0.1f;
  int repeats = partitions >= 64 ? 5 : 1280 / partitions;
  double best = 1e30;
  for (int k = 0; k < repeats; ++k) {
    memset(out, 0, partitions * outs * 4); // the backward accumulates
    double start = seconds();
    for (int p = 0; p < partitions; ++p)
      runPartition(mode, w + p * per, in + p * ins, out + p * outs, tokens);
    double took = seconds() - start;
    best = took < best ? took : best;
  }
  double worst = worstError(backward, in, out, tokens);
  printf("%s, stripes of %d, %d tokens, %d partitions: %.1f GFLOP/s, "
         "%.1f GB/s of weights, max error %.1e\n",
         kModes[mode], kStripe, tokens, partitions,
         2.0 * weights * tokens / best / 1e9, weights * 4.0 / best / 1e9,
         worst);
  return worst < 1e-3 ? 0 : 1;
}
