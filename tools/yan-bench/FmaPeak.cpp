//===- FmaPeak.cpp - Measured f32 FMA peak of this CPU ---------------------===//
//
// One kernel per vector ISA, each `kChains` independent accumulators updated
// `rounds` times: acc = acc * a + b (the chain loop fully unrolled, so the
// accumulators live in registers). 16 chains cover a 4-cycle FMA latency on
// two pipes (8 needed) with room to spare, and fit every register file
// (AVX2: 16 ymm with a and b; AVX-512, NEON, RVV: 32). x86 kernels carry
// target attributes so this file builds for the baseline CPU and each runs
// only where the image's features say the CPU has them.
//
//===----------------------------------------------------------------------===//
#include "FmaPeak.h"
#include "ToolSupport.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace yan::tools {
namespace {

constexpr int kChains = 16;
/// Keeps every kernel's result alive, so no chain is optimized away.
std::atomic<float> sink{0};

/// FLOPs of one kernel call: rounds x chains x lanes x 2.
double flopsOf(uint64_t rounds, int chains, unsigned lanes) {
  return double(rounds) * chains * lanes * 2;
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) float fmaAvx512(uint64_t rounds) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm512_set1_ps(float(c));
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
  for (uint64_t r = 0; r < rounds; ++r)
#pragma GCC unroll 16
    for (int c = 0; c < kChains; ++c)
      acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  __m512 sum = acc[0];
  for (int c = 1; c < kChains; ++c)
    sum = _mm512_add_ps(sum, acc[c]);
  float lanes[16];
  _mm512_storeu_ps(lanes, sum);
  return lanes[0] + lanes[15];
}

// 12 chains: with a and b, 14 of the 16 ymm registers (16 would spill).
constexpr int kAvx2Chains = 12;
__attribute__((target("avx2,fma"))) float fmaAvx2(uint64_t rounds) {
  constexpr int chains = kAvx2Chains;
  __m256 acc[chains];
  for (int c = 0; c < chains; ++c)
    acc[c] = _mm256_set1_ps(float(c));
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
  for (uint64_t r = 0; r < rounds; ++r)
#pragma GCC unroll 16
    for (int c = 0; c < chains; ++c)
      acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  __m256 sum = acc[0];
  for (int c = 1; c < chains; ++c)
    sum = _mm256_add_ps(sum, acc[c]);
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  return lanes[0] + lanes[7];
}

// No FMA: a multiply and an add per lane (the same two FLOPs), 8 chains
// of the 16 xmm registers.
constexpr int kSseChains = 8;
float mulAddSse(uint64_t rounds) {
  constexpr int chains = kSseChains;
  __m128 acc[chains];
  for (int c = 0; c < chains; ++c)
    acc[c] = _mm_set1_ps(float(c));
  const __m128 a = _mm_set1_ps(0.999f), b = _mm_set1_ps(0.001f);
  for (uint64_t r = 0; r < rounds; ++r)
#pragma GCC unroll 16
    for (int c = 0; c < chains; ++c)
      acc[c] = _mm_add_ps(_mm_mul_ps(acc[c], a), b);
  __m128 sum = acc[0];
  for (int c = 1; c < chains; ++c)
    sum = _mm_add_ps(sum, acc[c]);
  return _mm_cvtss_f32(sum);
}
#elif defined(__aarch64__)
float fmaNeon(uint64_t rounds) {
  float32x4_t acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = vdupq_n_f32(float(c));
  const float32x4_t a = vdupq_n_f32(0.999f), b = vdupq_n_f32(0.001f);
  for (uint64_t r = 0; r < rounds; ++r)
#pragma GCC unroll 16
    for (int c = 0; c < kChains; ++c)
      acc[c] = vfmaq_f32(b, acc[c], a);
  float32x4_t sum = acc[0];
  for (int c = 1; c < kChains; ++c)
    sum = vaddq_f32(sum, acc[c]);
  return vaddvq_f32(sum);
}
#elif defined(__riscv)
// GCC 12 has no RVV intrinsics and the runtime builds for rv64gc: the
// kernel is assembly, enabled for itself with `.option arch, +v`. It
// returns the lanes of one register (VLEN / 32). v0-v17 are not clobbers
// GCC knows; GCC 12 never allocates vector registers, so none hold its values.
unsigned fmaRvv(uint64_t rounds) {
  unsigned long lanes = 0;
  const float a = 0.999f, b = 0.001f;
  __asm__ volatile(
      ".option push\n.option arch, +v\n"
      "vsetvli %0, zero, e32, m1, ta, ma\n"
      "vfmv.v.f v16, %2\n vfmv.v.f v17, %3\n"
      "vfmv.v.f v0, %3\n vmv.v.v v1, v0\n vmv.v.v v2, v0\n vmv.v.v v3, v0\n"
      "vmv.v.v v4, v0\n vmv.v.v v5, v0\n vmv.v.v v6, v0\n vmv.v.v v7, v0\n"
      "vmv.v.v v8, v0\n vmv.v.v v9, v0\n vmv.v.v v10, v0\n vmv.v.v v11, v0\n"
      "vmv.v.v v12, v0\n vmv.v.v v13, v0\n vmv.v.v v14, v0\n vmv.v.v v15, v0\n"
      "beqz %1, 2f\n"
      "1:\n"
      "vfmacc.vv v0, v16, v17\n vfmacc.vv v1, v16, v17\n vfmacc.vv v2, v16, v17\n"
      "vfmacc.vv v3, v16, v17\n vfmacc.vv v4, v16, v17\n vfmacc.vv v5, v16, v17\n"
      "vfmacc.vv v6, v16, v17\n vfmacc.vv v7, v16, v17\n vfmacc.vv v8, v16, v17\n"
      "vfmacc.vv v9, v16, v17\n vfmacc.vv v10, v16, v17\n vfmacc.vv v11, v16, v17\n"
      "vfmacc.vv v12, v16, v17\n vfmacc.vv v13, v16, v17\n vfmacc.vv v14, v16, v17\n"
      "vfmacc.vv v15, v16, v17\n"
      "addi %1, %1, -1\n bnez %1, 1b\n"
      "2:\n.option pop\n"
      : "=&r"(lanes), "+r"(rounds)
      : "f"(a), "f"(b)
      : "memory");
  return static_cast<unsigned>(lanes);
}
#endif

float fmaScalar(uint64_t rounds) {
  float acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = float(c);
  for (uint64_t r = 0; r < rounds; ++r)
#pragma GCC unroll 16
    for (int c = 0; c < kChains; ++c)
      acc[c] = __builtin_fmaf(acc[c], 0.999f, 0.001f);
  float total = 0;
  for (float v : acc)
    total += v;
  return total;
}

/// Runs the probe's kernel for `rounds`; returns its FLOPs.
double runKernel(const FmaProbe &probe, uint64_t rounds) {
#if defined(__x86_64__)
  if (probe.isa == "avx512f") {
    sink.store(fmaAvx512(rounds));
    return flopsOf(rounds, kChains, 16);
  }
  if (probe.isa == "avx2+fma") {
    sink.store(fmaAvx2(rounds));
    return flopsOf(rounds, kAvx2Chains, 8);
  }
  if (probe.isa == "sse") {
    sink.store(mulAddSse(rounds));
    return flopsOf(rounds, kSseChains, 4);
  }
#elif defined(__aarch64__)
  if (probe.isa == "neon") {
    sink.store(fmaNeon(rounds));
    return flopsOf(rounds, kChains, 4);
  }
#elif defined(__riscv)
  if (probe.isa == "rvv")
    return flopsOf(rounds, kChains, fmaRvv(rounds));
#endif
  sink.store(fmaScalar(rounds));
  return flopsOf(rounds, kChains, 1);
}

/// Whether the comma-separated `list` names `feature`.
bool hasFeature(const std::string &list, const char *feature) {
  return ("," + list + ",").find("," + std::string(feature) + ",") != std::string::npos;
}

} // namespace

FmaProbe fmaProbeForImage(yan_arch_t arch, const char *requiredFeatures) {
  const std::string features = requiredFeatures ? requiredFeatures : "";
  switch (arch) {
  case YAN_ARCH_X86_64:
    if (hasFeature(features, "avx512f"))
      return {512, "avx512f"};
    if (hasFeature(features, "avx2") && hasFeature(features, "fma"))
      return {256, "avx2+fma"};
    return {128, "sse"};
  case YAN_ARCH_AARCH64:
    return {128, "neon"};
  case YAN_ARCH_RISCV64:
    if (hasFeature(features, "v"))
      return {0, "rvv"};
    return {0, "scalar"};
  default:
    return {0, "scalar"};
  }
}

double measureFmaPeak(FmaProbe *probe, unsigned threads) {
#if defined(__riscv)
  if (probe->isa == "rvv")
    probe->vectorBits = fmaRvv(0) * 32;
#endif
  // Size one call to about 50 ms on one thread, from a short timed call.
  uint64_t rounds = 1 << 14;
  for (;;) {
    double start = nowSeconds();
    runKernel(*probe, rounds);
    double seconds = nowSeconds() - start;
    if (seconds > 0.005 || rounds >= (uint64_t(1) << 40)) {
      rounds = std::max<uint64_t>(1, uint64_t(double(rounds) * 0.05 / std::max(seconds, 1e-9)));
      break;
    }
    rounds *= 4;
  }
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    std::vector<double> flops(threads, 0);
    std::vector<std::thread> workers;
    double start = nowSeconds();
    for (unsigned t = 0; t < threads; ++t)
      workers.emplace_back([&, t] { flops[t] = runKernel(*probe, rounds); });
    for (std::thread &w : workers)
      w.join();
    double seconds = nowSeconds() - start;
    double total = 0;
    for (double f : flops)
      total += f;
    if (seconds > 0)
      best = std::max(best, total / seconds);
  }
  return best;
}

} // namespace yan::tools
