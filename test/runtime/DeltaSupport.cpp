//===- DeltaSupport.cpp - Deltas written by the tests themselves ----------===//
#include "DeltaSupport.h"

#include "yan/crypto/sha256.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace yan::test {
namespace {

template <typename T> void put(std::vector<uint8_t> &out, T value) {
  uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T)); // little-endian hosts only, like the format
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

// Test support, also linked by the delta fuzzer's seed maker: no gtest.
void require(bool condition, const char *what) {
  if (!condition) {
    std::fprintf(stderr, "DeltaSupport: %s\n", what);
    std::abort();
  }
}

void require(yan_status_t status, const char *what) {
  if (status) {
    std::fprintf(stderr, "DeltaSupport: %s: %s\n", what, yan_status_message(status));
    std::abort();
  }
}

uint32_t nextRandom(uint32_t &x) {
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

} // namespace

DeltaModel DeltaModel::of(const yan_bundle_t *bundle) {
  DeltaModel m;
  yan_model_config_t config;
  yan_bundle_config(bundle, &config);
  m.layers = config.num_layers;
  m.partitions = config.num_partitions;
  m.partitionSize = config.partition_size;
  m.hidden = config.hidden_size;
  for (size_t i = 0; i < yan_bundle_segment_count(bundle); ++i) {
    yan_segment_info_t s;
    require(yan_bundle_segment_info(bundle, i, &s), "segment info");
    if (s.kind == YAN_SEGMENT_WEIGHTS)
      std::memcpy(m.weightsSha256, s.sha256, 32);
  }
  for (int64_t l = 0; l < m.layers; ++l)
    for (const char *t : {"w1", "w3", "w2"}) {
      std::string name = "layers." + std::to_string(l) + ".ffn." + t;
      bool found = false;
      for (size_t i = 0; i < yan_bundle_weight_count(bundle); ++i) {
        yan_weight_info_t w;
        require(yan_bundle_weight_info(bundle, i, &w), "weight info");
        if (name != w.name)
          continue;
        found = true;
        m.dtype = static_cast<uint32_t>(w.dtype);
        m.offsets.push_back(w.offset);
        m.strides.push_back(w.partition_stride);
      }
      require(found, "an FFN weight is missing");
    }
  m.tensorBytes = m.sliceFloats() * (m.dtype == YAN_DTYPE_F32 ? 4 : 2);
  return m;
}

DeltaRecord randomRecord(const DeltaModel &model, int32_t layer, int32_t partition,
                         uint32_t optimizer, uint64_t steps, bool withState, uint32_t seed) {
  DeltaRecord r;
  r.layer = layer;
  r.partition = partition;
  r.optimizer = optimizer;
  r.steps = steps;
  uint32_t x = seed * 2654435761u + 1;
  r.weights.resize(3 * model.tensorBytes);
  if (model.dtype == YAN_DTYPE_F32) {
    for (size_t i = 0; i < r.weights.size() / 4; ++i) {
      float value = (static_cast<float>(nextRandom(x) % 2001) - 1000.0f) / 4096.0f;
      std::memcpy(&r.weights[i * 4], &value, 4);
    }
  } else {
    for (uint8_t &b : r.weights)
      b = static_cast<uint8_t>(nextRandom(x));
  }
  uint64_t floats = optimizer == YAN_LEARN_ADAMW ? 6 * model.sliceFloats()
                    : withState                  ? 3 * model.sliceFloats()
                                                 : 0;
  r.state.resize(floats);
  for (float &f : r.state)
    f = static_cast<float>(nextRandom(x) % 1000) / 1000.0f;
  return r;
}

std::vector<uint8_t> buildDelta(const DeltaModel &model, const std::vector<DeltaRecord> &records) {
  std::vector<uint8_t> out;
  uint64_t size = kDeltaHeaderBytes + 32;
  for (const DeltaRecord &r : records)
    size += kDeltaRecordHeaderBytes + r.weights.size() + r.state.size() * 4;
  out.insert(out.end(), {'Y', 'A', 'N', 'D'});
  put<uint32_t>(out, 1);                  // version
  put<uint32_t>(out, kDeltaHeaderBytes);  // header_size
  put<uint32_t>(out, static_cast<uint32_t>(records.size()));
  put<uint64_t>(out, size);
  out.insert(out.end(), model.weightsSha256, model.weightsSha256 + 32);
  put<int64_t>(out, model.layers);
  put<int64_t>(out, model.partitions);
  put<int64_t>(out, model.partitionSize);
  put<int64_t>(out, model.hidden);
  put<uint32_t>(out, model.dtype);
  put<uint32_t>(out, 0);
  require(out.size() == kDeltaHeaderBytes, "header size");
  for (const DeltaRecord &r : records) {
    put<int32_t>(out, r.layer);
    put<int32_t>(out, r.partition);
    put<uint32_t>(out, r.optimizer);
    put<uint32_t>(out, 0);
    put<uint64_t>(out, r.steps);
    put<uint64_t>(out, r.weights.size());
    put<uint64_t>(out, r.state.size());
    out.insert(out.end(), r.weights.begin(), r.weights.end());
    const auto *state = reinterpret_cast<const uint8_t *>(r.state.data());
    out.insert(out.end(), state, state + r.state.size() * 4);
  }
  out.resize(out.size() + 32);
  resign(out);
  require(out.size() == size, "delta size");
  return out;
}

void resign(std::vector<uint8_t> &delta) {
  if (delta.size() < 32)
    return;
  yan::rt::Sha256Digest digest = yan::rt::Sha256::hash(delta.data(), delta.size() - 32);
  std::memcpy(delta.data() + delta.size() - 32, digest.data(), 32);
}

std::vector<uint8_t> partitionBytes(const yan_bundle_t *bundle, const DeltaModel &model,
                                    int64_t layer, int64_t partition) {
  const uint8_t *weights = yan_bundle_weight_segment(bundle);
  std::vector<uint8_t> out;
  for (int t = 0; t < 3; ++t) {
    const uint8_t *at = weights + model.offsets[layer * 3 + t] +
                        uint64_t(partition) * model.strides[layer * 3 + t];
    out.insert(out.end(), at, at + model.tensorBytes);
  }
  return out;
}

std::vector<uint8_t> weightSegment(const yan_bundle_t *bundle) {
  for (size_t i = 0; i < yan_bundle_segment_count(bundle); ++i) {
    yan_segment_info_t s;
    require(yan_bundle_segment_info(bundle, i, &s), "segment info");
    if (s.kind == YAN_SEGMENT_WEIGHTS) {
      const uint8_t *w = yan_bundle_weight_segment(bundle);
      return std::vector<uint8_t>(w, w + s.size);
    }
  }
  require(false, "no weight segment");
  return {};
}

std::vector<uint8_t> learnedWeights(const yan_bundle_t *bundle) {
  std::vector<uint8_t> bytes = weightSegment(bundle);
  DeltaModel m = DeltaModel::of(bundle);
  size_t copyBytes = 3 * m.sliceFloats() * sizeof(float);
  for (int64_t l = 0; l < m.layers; ++l)
    for (int64_t p = 0; p < m.partitions; ++p) {
      yan_partition_learn_state_t s;
      require(yan_bundle_partition_learn_state(bundle, l, p, &s), "partition learn state");
      if (s.weights_f32) {
        const auto *copy = reinterpret_cast<const uint8_t *>(s.weights_f32);
        bytes.insert(bytes.end(), copy, copy + copyBytes);
      }
    }
  return bytes;
}

std::vector<uint8_t> readFileBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void writeFileBytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  require(out.good(), "cannot write a file");
}

} // namespace yan::test
