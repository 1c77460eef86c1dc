/*===- arch.h - Architectures and CPU features --------------------*- C -*-===//
 *
 * Which architecture this runtime is, and the CPU features it checks before
 * loading a code image.
 * Part of the C API of yan/runtime.h (which includes every part and states
 * the rules for errors and threads); include that or just this part.
 *===----------------------------------------------------------------------===*/
#ifndef YAN_ARCH_H
#define YAN_ARCH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The values of the bundle schema's Arch (runtime/schema/bundle.fbs), the
 * one architecture enum; runtime/src/host_arch.cpp checks they agree. */
typedef enum yan_arch_t {
  YAN_ARCH_UNKNOWN = 0,
  YAN_ARCH_X86_64 = 1,
  YAN_ARCH_AARCH64 = 2,
  YAN_ARCH_RISCV64 = 3,
} yan_arch_t;

/* "x86_64", "aarch64", "riscv64", "unknown". */
const char *yan_arch_name(yan_arch_t arch);
/* The architecture this runtime was built for. */
yan_arch_t yan_host_arch(void);

/* CPU features. A code image lists the features its code may use
 * (yan_code_image_info_t.required_features, LLVM names such as "avx2",
 * "dotprod", "v", "zvl256b"); at open the runtime loads only an image whose
 * features this CPU has (cpuid on x86-64, AT_HWCAP on AArch64, AT_HWCAP +
 * riscv_hwprobe + vlenb on RISC-V), preferring the one needing the most.
 * These name the features the runtime can check on `arch` (yanc records
 * only these: both read targets/<arch>/CpuFeatures.def); NULL past the end. */
size_t yan_cpu_feature_count(yan_arch_t arch);
const char *yan_cpu_feature_name(yan_arch_t arch, size_t index);
/* Writes the comma-separated features this CPU has (from the table above)
 * to `out` (always NUL-terminated, truncated to `size`). */
void yan_host_cpu_features(char *out, size_t size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* YAN_ARCH_H */
