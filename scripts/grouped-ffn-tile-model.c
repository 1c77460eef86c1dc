// A C model of prefill's grouped FFN product on x86-64-v4 (16 f32 lanes):
// y[t, r] = sum_c w[r, c] * x[t, c] for the tokens routed to a partition,
// over 256 partitions of 1536 x 512 f32 (w1, w3 and w2 stacked; 768 MiB, so
// the weights come from DRAM as in `small`'s prefill), one core. It compares
// the lowering's kernel with the register tile that a K-major weight layout
// would allow (docs/performance.md, "Prefill's grouped FFN: the dot tile
// against an outer-product tile"); it is not part of the build.
//
//   clang-19 -O3 -march=x86-64-v4 -o /tmp/gfm scripts/grouped-ffn-tile-model.c
//   /tmp/gfm MODE TOKENS [PARTITIONS]    # e.g. dot 16, then outer 16
//
// MODE
//   dot     the lowering's dot tile (KernelEmitter::dotRows, x86-64-v4's
//           KernelTiles): 8 rows x 2 tokens of row-major w, 16 accumulators
//           reduced at the end of each tile; a row block is read from DRAM by
//           its first token tile and from L1 by the others.
//   outer   w stored K-major in stripes of 48 rows ([r / 48][c][48]): for
//           each c, 3 weight vectors x 8 broadcast tokens into 24
//           accumulators, no reduction; each weight line is read once per 8
//           tokens, in address order, prefetched 4 KiB ahead.
//   stripe  row-major w, each 48-row stripe transposed into a 96 KiB
//           scratch (L2) and then run as `outer`: the outer tile without
//           changing the stored layout.
// PARTITIONS = 1 keeps one partition (3 MiB) in cache: the kernel's
// compute-bound rate. Every mode checks its result against a double sum.
#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { kCols = 512, kRows = 1536, kStripe = 48, kGroup = 8 };

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

// One stripe of 48 rows, K-major (s[c * 48 + i] = w[r0 + i, c]), for tokens
// [t0, t0 + 8). The weights are one address-ordered stream; each step
// prefetches its 3 lines 4 KiB ahead (1 KiB ahead and none were 10-25%
// slower from DRAM, 16 KiB about the same).
static void outerTile(const float *s, const float *x, float *y, int r0, int t0) {
  __m512 acc[kGroup][3];
  for (int t = 0; t < kGroup; ++t)
    for (int v = 0; v < 3; ++v)
      acc[t][v] = _mm512_setzero_ps();
  for (int c = 0; c < kCols; ++c) {
    for (int line = 0; line < 3; ++line)
      _mm_prefetch((const char *)(s + c * kStripe + 16 * line) + 4096,
                   _MM_HINT_T0);
    __m512 w0 = _mm512_load_ps(s + c * kStripe);
    __m512 w1 = _mm512_load_ps(s + c * kStripe + 16);
    __m512 w2 = _mm512_load_ps(s + c * kStripe + 32);
    for (int t = 0; t < kGroup; ++t) {
      __m512 xt = _mm512_set1_ps(x[(t0 + t) * kCols + c]);
      acc[t][0] = _mm512_fmadd_ps(w0, xt, acc[t][0]);
      acc[t][1] = _mm512_fmadd_ps(w1, xt, acc[t][1]);
      acc[t][2] = _mm512_fmadd_ps(w2, xt, acc[t][2]);
    }
  }
  for (int t = 0; t < kGroup; ++t)
    for (int v = 0; v < 3; ++v)
      _mm512_storeu_ps(y + (t0 + t) * kRows + r0 + 16 * v, acc[t][v]);
}

static void outerPartition(const float *wk, const float *x, float *y,
                           int tokens) {
  for (int r0 = 0; r0 < kRows; r0 += kStripe)
    for (int t0 = 0; t0 + kGroup <= tokens; t0 += kGroup)
      outerTile(wk + (size_t)r0 * kCols, x, y, r0, t0);
}

// 16 x 16 transpose: dst[j * ldd + i] = src[i * lds + j].
static void transpose16(const float *src, int lds, float *dst, int ldd) {
  __m512 a[16], b[16];
  for (int i = 0; i < 16; ++i)
    a[i] = _mm512_loadu_ps(src + i * lds);
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

int main(int argc, char **argv) {
  if (argc < 3)
    return fprintf(stderr, "usage: %s dot|outer|stripe TOKENS [PARTITIONS]\n",
                   argv[0]), 2;
  const char *mode = argv[1];
  int tokens = atoi(argv[2]), partitions = argc > 3 ? atoi(argv[3]) : 256;
  int dot = !strcmp(mode, "dot"), outer = !strcmp(mode, "outer");
  if (!dot && !outer && strcmp(mode, "stripe"))
    return fprintf(stderr, "MODE is dot, outer or stripe\n"), 2;
  if (tokens < kGroup || tokens % kGroup || partitions < 1)
    return fprintf(stderr, "TOKENS a multiple of %d, PARTITIONS >= 1\n",
                   kGroup), 2;
  size_t per = (size_t)kRows * kCols, weights = per * partitions;
  float *w = aligned_alloc(64, weights * 4);
  float *x = aligned_alloc(64, (size_t)partitions * tokens * kCols * 4);
  float *y = aligned_alloc(64, (size_t)partitions * tokens * kRows * 4);
  if (!w || !x || !y)
    return fprintf(stderr, "out of memory\n"), 1;
  // Row-major values; `outer` stores the same matrix K-major per stripe.
  for (int p = 0; p < partitions; ++p)
    for (int r = 0; r < kRows; ++r)
      for (int c = 0; c < kCols; ++c) {
        float v = (float)((p + r * 3 + c * 7) % 11) * 0.01f;
        size_t at = outer ? (size_t)(r / kStripe) * kStripe * kCols +
                                c * kStripe + r % kStripe
                          : (size_t)r * kCols + c;
        w[p * per + at] = v;
      }
  for (size_t i = 0; i < (size_t)partitions * tokens * kCols; ++i)
    x[i] = (float)(i % 5) * 0.1f;
  int repeats = partitions >= 64 ? 5 : 1280 / partitions;
  double best = 1e30;
  for (int k = 0; k < repeats; ++k) {
    double start = seconds();
    for (int p = 0; p < partitions; ++p) {
      const float *wp = w + p * per, *xp = x + (size_t)p * tokens * kCols;
      float *yp = y + (size_t)p * tokens * kRows;
      if (dot)
        dotPartition(wp, xp, yp, tokens);
      else if (outer)
        outerPartition(wp, xp, yp, tokens);
      else
        stripePartition(wp, xp, yp, tokens);
    }
    double took = seconds() - start;
    best = took < best ? took : best;
  }
  double worst = 0; // partition 0 against a double-precision sum
  for (int t = 0; t < tokens; ++t)
    for (int r = 0; r < kRows; ++r) {
      double s = 0;
      for (int c = 0; c < kCols; ++c)
        s += (double)((r * 3 + c * 7) % 11 * 0.01f) * x[t * kCols + c];
      worst = fmax(worst, fabs(s - y[t * kRows + r]));
    }
  printf("%s, %d tokens, %d partitions: %.1f GFLOP/s, %.1f GB/s of weights, "
         "max error %.1e\n",
         mode, tokens, partitions, 2.0 * weights * tokens / best / 1e9,
         weights * 4.0 / best / 1e9, worst);
  return worst < 1e-3 ? 0 : 1;
}
