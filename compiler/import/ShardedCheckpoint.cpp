//===- ShardedCheckpoint.cpp - Hugging Face sharded safetensors ------------===//

#include "compiler/import/ShardedCheckpoint.h"
#include "compiler/import/JsonMembers.h"
#include "compiler/import/RegularFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <cstdio>
#include <map>

using namespace llvm;

namespace yan {
namespace {

Error indexError(StringRef path, const Twine &message) {
  return createStringError(inconvertibleErrorCode(), path + ": " + message);
}

/// A shard must be a file beside the index: a name with a directory part
/// could reach outside the model directory.
bool isPlainFileName(StringRef name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of("/\\") == StringRef::npos && name.find('\0') == StringRef::npos;
}

struct ShardIndex {
  /// tensor name -> shard file name, as written (duplicates refused).
  StringMap<std::string> shardOf;
  std::optional<uint64_t> totalSize;
};

Expected<ShardIndex> readShardIndex(StringRef path) {
  Expected<std::unique_ptr<MemoryBuffer>> text =
      readRegularFile(path, kMaxTextFileBytes, /*text=*/true);
  if (!text)
    return text.takeError();
  Expected<ParsedJsonObject> root = parseJsonObject((*text)->getBuffer());
  if (!root)
    return indexError(path, toString(root.takeError()));
  if (const JsonMember *duplicate = findDuplicateKey(root->members))
    return indexError(path, "duplicate key '" + duplicate->key + "'");
  ShardIndex index;
  if (const json::Value *metadata = root->object.get("metadata")) {
    const json::Object *object = metadata->getAsObject();
    if (!object)
      return indexError(path, "\"metadata\" is not an object");
    if (const json::Value *total = object->get("total_size")) {
      std::optional<int64_t> bytes = total->getAsInteger();
      if (!bytes || *bytes < 0)
        return indexError(path, "\"total_size\" is not a byte count");
      index.totalSize = static_cast<uint64_t>(*bytes);
    }
  }
  auto member = llvm::find_if(root->members,
                              [](const JsonMember &m) { return m.key == "weight_map"; });
  if (member == root->members.end())
    return indexError(path, "no \"weight_map\" (not a sharded safetensors index)");
  Expected<std::vector<JsonMember>> entries = scanObjectMembers(member->rawValue);
  if (!entries)
    return indexError(path, "\"weight_map\" is not an object");
  if (const JsonMember *duplicate = findDuplicateKey(*entries))
    return indexError(path, "tensor '" + duplicate->key + "' appears twice in \"weight_map\"");
  const json::Object &map = *root->object.get("weight_map")->getAsObject();
  for (const JsonMember &entry : *entries) {
    std::optional<StringRef> shard = map.get(entry.key)->getAsString();
    if (!shard)
      return indexError(path, "the shard of tensor '" + entry.key + "' is not a string");
    if (!isPlainFileName(*shard))
      return indexError(path, "the shard of tensor '" + entry.key + "', '" + *shard +
                                  "', is not a file name in the index's directory");
    index.shardOf[entry.key] = shard->str();
  }
  if (index.shardOf.empty())
    return indexError(path, "\"weight_map\" names no tensors");
  return std::move(index);
}

/// Every tensor of every shard is the one the index puts there, and every
/// tensor the index names is in its shard.
Error checkShardsAgainstIndex(
    StringRef indexPath, const ShardIndex &index,
    const std::map<std::string, std::unique_ptr<SafeTensorsFile>> &shards) {
  StringMap<StringRef> foundIn; // tensor -> shard file name
  uint64_t totalBytes = 0;
  for (const auto &[shardName, shard] : shards) {
    for (const TensorView &tensor : shard->tensors()) {
      auto seen = foundIn.find(tensor.name);
      if (seen != foundIn.end())
        return indexError(shard->path(), "tensor '" + tensor.name +
                                             "' is also in shard " + seen->second +
                                             ": a tensor must be in one shard");
      auto mapped = index.shardOf.find(tensor.name);
      if (mapped == index.shardOf.end())
        return indexError(shard->path(), "tensor '" + tensor.name + "' is not in " +
                                             indexPath + "'s weight_map");
      if (mapped->second != shardName)
        return indexError(shard->path(), "tensor '" + tensor.name + "' is here, but " +
                                             indexPath + " puts it in " + mapped->second);
      foundIn[tensor.name] = shardName;
      totalBytes += tensor.bytes.size();
    }
  }
  for (const auto &entry : index.shardOf)
    if (!foundIn.count(entry.getKey()))
      return indexError(indexPath, "tensor '" + entry.getKey() + "' is mapped to " +
                                       entry.getValue() + ", which does not hold it");
  if (index.totalSize && *index.totalSize != totalBytes)
    return indexError(indexPath, formatv("total_size is {0} bytes, the shards' tensors "
                                         "hold {1}",
                                         *index.totalSize, totalBytes));
  return Error::success();
}

} // namespace

std::string shardFileName(unsigned index, unsigned count) {
  char name[64];
  std::snprintf(name, sizeof name, "model-%05u-of-%05u.safetensors", index, count);
  return name;
}

Expected<std::unique_ptr<SafeTensorsFile>> openShardedSafeTensors(StringRef indexPath) {
  Expected<ShardIndex> index = readShardIndex(indexPath);
  if (!index)
    return index.takeError();
  StringRef directory = sys::path::parent_path(indexPath);
  // Opened in name order, so the tensors' order does not depend on the
  // index's: the same shards give the same checkpoint.
  std::map<std::string, std::unique_ptr<SafeTensorsFile>> shards;
  for (const auto &entry : index->shardOf) {
    const std::string &name = entry.getValue();
    if (shards.count(name))
      continue;
    SmallString<256> path(directory);
    sys::path::append(path, name);
    if (!sys::fs::exists(path))
      return indexError(indexPath, "shard " + name + " (of tensor '" + entry.getKey() +
                                       "') is missing: no file " + path);
    Expected<std::unique_ptr<SafeTensorsFile>> shard = SafeTensorsFile::open(path);
    if (!shard)
      return shard.takeError();
    shards[name] = std::move(*shard);
  }
  if (Error error = checkShardsAgainstIndex(indexPath, *index, shards))
    return std::move(error);
  std::vector<std::unique_ptr<SafeTensorsFile>> ordered;
  for (auto &[name, shard] : shards)
    ordered.push_back(std::move(shard));
  return SafeTensorsFile::fromShards(indexPath.str(), std::move(ordered));
}

} // namespace yan
