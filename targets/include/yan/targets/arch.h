//===- arch.h - The one architecture enum -------------------------*- C++ -*-===//
//
// An architecture is named by the bundle schema's enum (runtime/schema/
// bundle.fbs, yan.fb.Arch): that byte is the wire format a bundle records
// and the runtime matches against its host, so every other view of an
// architecture derives from it. The compiler's target descriptions hold an
// Arch; the runtime's C API mirrors it as yan_arch_t (same values, checked
// by static_assert in runtime/src/host_arch.cpp). Header-only and free of
// LLVM, so the runtime's cross builds include it too.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_TARGETS_ARCH_H
#define YAN_TARGETS_ARCH_H

#include "bundle_generated.h"

namespace yan {

using Arch = fb::Arch;

/// "x86_64", "aarch64", "riscv64", "unknown": the schema's names, which
/// are also the runtime's (yan_arch_name) and the tools' spelling.
inline const char *archName(Arch arch) {
  const char *name = fb::EnumNameArch(arch);
  return name && *name ? name : "unknown";
}

} // namespace yan

#endif // YAN_TARGETS_ARCH_H
