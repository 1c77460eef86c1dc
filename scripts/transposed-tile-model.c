// A C model of the lowering's transposed product (KernelEmitter::
// accumulateRows, docs/codegen.md "Register tiles"): out[t, c] +=
// sum_r coef[t, r] * w[r, c] over 32 partitions x 3 matrices of 512 x 512
// f32 (read from DRAM), in 4-output x 3-vector tiles of 8 lanes, input rows
// in cache blocks of DEPTH. It measured the cache-block sizes compared in
// docs/performance.md (issue 16); it is not part of the build.
//
//   clang-19 -O2 -mavx2 -mfma -o /tmp/ttm scripts/transposed-tile-model.c
//   taskset -c 1 /tmp/ttm OUTPUTS DEPTH     # e.g. 8 128, then 8 32
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { kRows = 512, kCols = 512, kPartitions = 32, kRepeats = 5 };

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// One tile: outputs [o0, o0 + 4) x columns [c, c + 24) over rows [r0, r1).
static void tile(float *out, const float *coef, const float *w, int r0, int r1,
                 int o0, int c) {
  __m256 acc[12];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j)
      acc[i * 3 + j] = _mm256_loadu_ps(out + (o0 + i) * kCols + c + 8 * j);
  for (int r = r0; r < r1; ++r) {
    const float *row = w + (long)r * kCols + c;
    __m256 v0 = _mm256_loadu_ps(row), v1 = _mm256_loadu_ps(row + 8),
           v2 = _mm256_loadu_ps(row + 16);
    for (int i = 0; i < 4; ++i) {
      __m256 s = _mm256_broadcast_ss(coef + (o0 + i) * kRows + r);
      acc[i * 3] = _mm256_fmadd_ps(s, v0, acc[i * 3]);
      acc[i * 3 + 1] = _mm256_fmadd_ps(s, v1, acc[i * 3 + 1]);
      acc[i * 3 + 2] = _mm256_fmadd_ps(s, v2, acc[i * 3 + 2]);
    }
  }
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j)
      _mm256_storeu_ps(out + (o0 + i) * kCols + c + 8 * j, acc[i * 3 + j]);
}

// Input blocks outer; within a block, column tiles outer, output tiles inner.
static void product(float *out, const float *coef, const float *w, int outputs,
                    int depth) {
  for (int r0 = 0; r0 < kRows; r0 += depth) {
    int r1 = r0 + depth < kRows ? r0 + depth : kRows;
    for (int c = 0; c + 24 <= kCols; c += 24)
      for (int o = 0; o + 4 <= outputs; o += 4)
        tile(out, coef, w, r0, r1, o, c);
  }
}

int main(int argc, char **argv) {
  if (argc != 3)
    return fprintf(stderr, "usage: %s OUTPUTS DEPTH\n", argv[0]), 2;
  int outputs = atoi(argv[1]) / 4 * 4, depth = atoi(argv[2]);
  if (outputs < 4 || depth < 1)
    return fprintf(stderr, "OUTPUTS >= 4, DEPTH >= 1\n"), 2;
  size_t weights = (size_t)kPartitions * 3 * kRows * kCols;
  float *w = aligned_alloc(64, weights * 4);
  float *coef = aligned_alloc(64, (size_t)outputs * kRows * 4);
  float *out = aligned_alloc(64, (size_t)outputs * kCols * 4);
  if (!w || !coef || !out)
    return fprintf(stderr, "out of memory\n"), 1;
  for (size_t i = 0; i < weights; ++i)
    w[i] = (float)(i % 7) * 0.01f;
  for (int i = 0; i < outputs * kRows; ++i)
    coef[i] = 0.001f;
  for (int i = 0; i < outputs * kCols; ++i)
    out[i] = 0;
  double best = 1e30;
  for (int k = 0; k < kRepeats; ++k) {
    double start = seconds();
    for (size_t m = 0; m < (size_t)kPartitions * 3; ++m)
      product(out, coef, w + m * kRows * kCols, outputs, depth);
    double took = seconds() - start;
    best = took < best ? took : best;
  }
  double checksum = 0; // keeps the products observable
  for (int i = 0; i < outputs * kCols; ++i)
    checksum += out[i];
  double flops = 2.0 * kPartitions * 3 * kRows * (kCols / 24 * 24) * outputs;
  printf("outputs %d, depth %d: %.1f GFLOP/s (checksum %g)\n", outputs, depth,
         flops / best / 1e9, checksum);
  return 0;
}
