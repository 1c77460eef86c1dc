//===- ShardedCheckpoint.h - Hugging Face sharded safetensors ----*- C++ -*-===//
//
// A large checkpoint arrives the way Hugging Face writes it: an index,
// model.safetensors.index.json,
//
//   {"metadata": {"total_size": BYTES}, "weight_map": {"<tensor>": "<shard>"}}
//
// and the shards it names, files in the same directory. Reading checks the
// index against the shards before any tensor is used: every defect (a
// missing shard, a tensor in two shards, an index naming a tensor its shard
// lacks, a shard holding tensors the index does not name, a shard outside
// the directory, a total_size that disagrees) is one error naming the file.
// Tensors may be spread over the shards in any order; the result reads as
// one model.safetensors would (docs/yan-model.md, "Sharded checkpoints").
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_IMPORT_SHARDEDCHECKPOINT_H
#define YAN_COMPILER_IMPORT_SHARDEDCHECKPOINT_H

#include "compiler/import/SafeTensors.h"

namespace yan {

/// The index's file name in a model directory.
inline constexpr const char *kShardIndexName = "model.safetensors.index.json";

/// Opens the shards of the index at `indexPath` (checked as above), mapped.
llvm::Expected<std::unique_ptr<SafeTensorsFile>>
openShardedSafeTensors(llvm::StringRef indexPath);

/// Hugging Face's name for shard `index` (from 1) of `count`:
/// model-00001-of-00004.safetensors.
std::string shardFileName(unsigned index, unsigned count);

} // namespace yan

#endif // YAN_COMPILER_IMPORT_SHARDEDCHECKPOINT_H
