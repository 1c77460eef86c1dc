//===- delta_format.h - The delta file: what a bundle learned ---*- C++ -*-===//
//
// A delta holds the learned state of the partitions a bundle trained, bound
// to the base bundle's weights (docs/learning.md, "Delta format"). All
// integers little-endian (every host the runtime supports is):
//
//   [0, 96)             DeltaHeader
//   [96, file_size-32)  record_count records, strictly ascending by
//                       (layer, partition), back to back:
//                         DeltaRecordHeader (40 bytes)
//                         weight_bytes: w1[p], w3[p], w2[p] as stored in the
//                           weight segment (dtype of the bundle, unpadded)
//                         state_floats * 4: optimizer state (f32): SGD
//                           momentum buffer w1, w3, w2; AdamW exp_avg (w1,
//                           w3, w2) then exp_avg_sq (w1, w3, w2)
//   [end-32, end)       SHA-256 of bytes [0, end - 32), end = file_size
//                       (version 1) or file_size - 96 (version 2)
//   [end, file_size)    version 2 only: a yan_signature_block
//                       (bundle_format.h), Ed25519 over the message
//                       "yan-delta-sig-v1" 0 || u64le(end) || SHA-256([0, end))
//
// Version 1 is unsigned (flags 0); version 2 is signed (flags exactly
// kDeltaFlagSigned). Writers emit version 1 for unsigned deltas, so older
// runtimes keep reading them; they refuse version 2 as a newer format.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_RUNTIME_DELTA_FORMAT_H
#define YAN_RUNTIME_DELTA_FORMAT_H

#include <cstddef>
#include <cstdint>

namespace yan::rt {

constexpr char kDeltaMagic[4] = {'Y', 'A', 'N', 'D'};
constexpr uint32_t kDeltaVersion = 1;       // unsigned
constexpr uint32_t kDeltaVersionSigned = 2; // + signature block
constexpr uint32_t kDeltaFlagSigned = 1;
constexpr const char *kDeltaSignatureDomain = "yan-delta-sig-v1";
constexpr uint64_t kDeltaSignatureBlockBytes = 96; // YAN_SIGNATURE_BLOCK_SIZE
constexpr size_t kDeltaChecksumBytes = 32;

struct DeltaHeader {
  char magic[4];               // "YAND"
  uint32_t version;            // kDeltaVersion
  uint32_t headerSize;         // sizeof(DeltaHeader)
  uint32_t recordCount;
  uint64_t fileSize;           // exact, checksum included
  uint8_t baseWeightsSha256[32]; // the base bundle's weight segment hash (its
                                 // table of contents' value)
  int64_t numLayers;           // L
  int64_t numPartitions;       // P
  int64_t partitionSize;       // F
  int64_t hiddenSize;          // D
  uint32_t weightDtype;        // yan_dtype_t of the FFN weights
  uint32_t flags;              // version 1: 0; version 2: kDeltaFlagSigned
};
static_assert(sizeof(DeltaHeader) == 96, "delta header is 96 bytes");

struct DeltaRecordHeader {
  int32_t layer;
  int32_t partition;
  uint32_t optimizer;   // YAN_OPTIMIZER_SGD / YAN_OPTIMIZER_ADAMW
  uint32_t reserved;    // 0
  uint64_t steps;       // >= 1: optimizer steps that trained the partition
  uint64_t weightBytes; // 3 * F * D * dtype bytes
  uint64_t stateFloats; // SGD: 0 or 3*F*D; AdamW: 6*F*D
};
static_assert(sizeof(DeltaRecordHeader) == 40, "delta record header is 40 bytes");

/// Where the checksum ends: the file's end, or the signature block's start.
inline uint64_t deltaChecksumEnd(const DeltaHeader &h) {
  return h.version == kDeltaVersionSigned ? h.fileSize - kDeltaSignatureBlockBytes : h.fileSize;
}

} // namespace yan::rt

#endif // YAN_RUNTIME_DELTA_FORMAT_H
