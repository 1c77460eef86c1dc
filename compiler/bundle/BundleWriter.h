//===- BundleWriter.h - Writing .yanb bundles --------------------*- C++ -*-===//
//
// A bundle = 64-byte header + FlatBuffer table of contents
// (runtime/schema/bundle.fbs) + 16 KiB-aligned segments: one per code image,
// then the weight segment, then (if there are test vectors) one test_data
// segment. Layout constants: runtime/include/yan/bundle_format.h.
//
// Writing is deterministic (same contents -> same bytes: no timestamps, no
// hash-map order) and atomic (a temporary file renamed over `path`).
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_BUNDLE_BUNDLEWRITER_H
#define YAN_COMPILER_BUNDLE_BUNDLEWRITER_H

#include "compiler/bundle/Progress.h"
#include "compiler/layout/StateLayout.h"
#include "compiler/layout/WeightLayout.h"
#include "compiler/layout/WeightSegment.h"
#include "compiler/import/ModelConfig.h"
#include "compiler/import/SafeTensors.h"
#include "compiler/import/SentencePieceModel.h"
#include "yan/bundle_format.h"
#include "yan/executable_abi.h"
#include "yan/targets/arch.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace yan {

struct BundleEntryPoint {
  std::string name;       // "prefill", "decode"
  uint32_t index = 0;     // yan_entry_index
  int64_t maxTokens = 1;
  uint64_t arenaBytes = 0;
};

struct BundleCodeImage {
  std::string triple;
  Arch arch = Arch::x86_64; // the target description's (ResolvedTarget::arch)
  std::string cpu;
  std::string features;
  std::string requiredFeatures; // CPU features the runtime checks first
  uint32_t abiVersion = YAN_EXECUTABLE_ABI_VERSION;
  std::vector<BundleEntryPoint> entries;
  llvm::ArrayRef<uint8_t> bytes; // the linked ELF shared object
};

/// Reference results (test/reference/golden.py's test-vector set).
struct BundleTestVector {
  std::string name;
  std::vector<int32_t> prompt;
  std::vector<int32_t> generated;    // the greedy tokens fed to decode
  int32_t nextToken = -1;            // argmax of the last row, -1 unknown
  std::vector<float> expectedLogits; // (prompt + generated) rows of V
  std::vector<float> prefillState;   // empty or state_floats
  std::vector<float> finalState;     // empty or state_floats
};

struct BundleContents {
  ModelConfig config;
  std::string compilerVersion;
  std::vector<BundleCodeImage> codeImages;
  std::vector<BundleWeight> weights; // ascending offsets
  uint64_t weightSegmentSize = 0;
  StateLayout state;
  std::vector<BundleTestVector> testVectors;
  /// Weight bytes one decode token reads (compiler/transforms/WeightTraffic).
  uint64_t weightBytesPerToken = 0;
  /// FLOPs of one token and of one learn position (ModelStats::flopsPerToken
  /// of the decode and the learn entry; 0 without learn entries).
  uint64_t flopsPerToken = 0;
  uint64_t learnFlopsPerToken = 0;
  /// FLOPs of one (position, chosen partition) pair's weight gradients
  /// (weightGradientFlopsPerPair; 0 without learn entries).
  uint64_t learnFlopsPerRoutedPair = 0;
  /// M of the learn entries (yanc --learn-partitions); 0 when the code
  /// images have no learn entries (--learn=off).
  int64_t learnPartitions = 0;
  /// The tokenizer (MODEL_DIR/tokenizer.model), if any; its piece count must
  /// equal config.vocabSize.
  std::optional<SentencePieceModel> tokenizer;
  /// Only tests change this (to check that readers refuse other versions).
  uint32_t schemaVersion = YAN_BUNDLE_SCHEMA_VERSION;
  /// When set, the bundle is signed with this Ed25519 secret seed (header
  /// version 2 + signature block; docs/security.md).
  std::optional<std::array<uint8_t, 32>> signingSeed;
};

/// Reads a secret key file written by yan-keygen ("yan-ed25519-secret HEX");
/// refuses files readable by group or others.
llvm::Expected<std::array<uint8_t, 32>> readSigningKey(llvm::StringRef path);

/// Checks `contents` (ranges, sizes, config) and writes the bundle to
/// `path` atomically. Errors name the offending weight/image/vector.
/// `progress` hears of each weight partition of both passes over the weight
/// segment ("weights (hash)", then "weights (write)").
llvm::Error writeBundle(llvm::StringRef path, const BundleContents &contents,
                        const ProgressFn &progress = {});

/// The same bytes to a stream (tests, in-memory use).
llvm::Error writeBundle(llvm::raw_ostream &os, const BundleContents &contents,
                        const ProgressFn &progress = {});

} // namespace yan

#endif // YAN_COMPILER_BUNDLE_BUNDLEWRITER_H
