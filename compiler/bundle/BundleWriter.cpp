//===- BundleWriter.cpp - Writing .yanb bundles ---------------------------===//
//
// Two passes over each segment's bytes: one to hash (the hashes go into the
// FlatBuffer, which precedes the segments), one to write. Both passes run
// the same emit function, so what is hashed is exactly what is written, and
// weights stream from the mapped checkpoint a partition at a time (converted
// or quantized on the way, BundleWeight::writePartition), never whole.
//
//===----------------------------------------------------------------------===//
#include "compiler/bundle/BundleWriter.h"
#include "compiler/import/RegularFile.h"

#include "yan/crypto/sha256.h"
#include "yan/crypto/signature.h"
#include "yan/crypto/toc_hash.h"

#include "bundle_generated.h"
#include "yan/executable_abi.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SwapByteOrder.h"

#include <array>
#include <cstring>
#include <functional>

using namespace llvm;

namespace yan {
namespace {

using Digest = std::array<uint8_t, 32>;

Error bundleError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), "bundle: " + message);
}

// Receives a segment's bytes: hashed in the first pass, written in the second.
class Sink {
public:
  virtual ~Sink() = default;
  virtual void write(ArrayRef<uint8_t> bytes) = 0;
  void zeros(uint64_t count) {
    static const uint8_t kZeros[4096] = {};
    while (count) {
      uint64_t n = std::min<uint64_t>(count, sizeof(kZeros));
      write(ArrayRef<uint8_t>(kZeros, n));
      count -= n;
    }
  }
  uint64_t written = 0;
  /// Told the tensor after each weight partition (the progress line).
  std::function<void(StringRef tensor)> afterPartition;
};

class HashSink : public Sink {
public:
  void write(ArrayRef<uint8_t> bytes) override {
    sha.update(bytes.data(), bytes.size());
    written += bytes.size();
  }
  // The runtime's implementation: the bundle is hashed as it will be checked.
  rt::Sha256 sha;
};

// The weight segment's hash pass also hashes each lazy-trust range
// (bundle.fbs, Weight.range_sha256): range i is [starts[i], starts[i+1]),
// the last one up to the end of the segment.
class RangeHashSink : public HashSink {
public:
  explicit RangeHashSink(std::vector<uint64_t> starts) : starts(std::move(starts)) {}
  void write(ArrayRef<uint8_t> bytes) override {
    while (!bytes.empty()) {
      uint64_t n = bytes.size();
      if (ranges.size() + 1 < starts.size())
        n = std::min<uint64_t>(n, starts[ranges.size() + 1] - written);
      if (!starts.empty())
        range.update(bytes.data(), n);
      HashSink::write(bytes.take_front(n));
      bytes = bytes.drop_front(n);
      if (ranges.size() + 1 < starts.size() && written == starts[ranges.size() + 1])
        closeRange();
    }
  }
  void closeRange() {
    ranges.push_back(range.finish());
    range.reset();
  }
  std::vector<uint64_t> starts;
  std::vector<Digest> ranges;
  rt::Sha256 range;
};

// Where each weight's lazy-trust ranges start: one per partition, the first
// weight's first range at 0 so the ranges tile the segment.
std::vector<uint64_t> weightRangeStarts(const BundleContents &c) {
  std::vector<uint64_t> starts;
  for (const BundleWeight &w : c.weights)
    for (int64_t p = 0; p < w.numPartitions; ++p)
      starts.push_back(w.offset + static_cast<uint64_t>(p) * w.partitionStride);
  if (!starts.empty())
    starts[0] = 0;
  return starts;
}

class StreamSink : public Sink {
public:
  explicit StreamSink(raw_ostream &os) : os(os) {}
  void write(ArrayRef<uint8_t> bytes) override {
    os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    written += bytes.size();
  }
  raw_ostream &os;
};

ArrayRef<uint8_t> asBytes(ArrayRef<float> floats) {
  return ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(floats.data()),
                           floats.size() * sizeof(float));
}

struct SegmentPlan {
  fb::SegmentKind kind;
  uint64_t size = 0;
  std::function<Error(Sink &)> emit;
  uint64_t offset = 0; // from the segment base
  Digest sha256{};
};

// Offsets of one test vector's float arrays in the test_data segment.
struct TestSlices {
  uint64_t logits = 0, prefill = 0, final = 0;
};

Error checkWeights(const BundleContents &c) {
  uint64_t end = 0;
  for (const BundleWeight &w : c.weights) {
    // The one size formula (WeightLayout's, yan/quant_format.h's for slabs):
    // the runtime's verifier checks the table with it too.
    uint64_t bytes = 0;
    if (!weightBytes({w.name, w.format.dtype, w.shape, 1, w.format.quant}, bytes))
      return bundleError("weight '" + w.name + "' has an invalid shape for " +
                         weightFormatName(w.format));
    if (w.numPartitions < 1 || bytes % static_cast<uint64_t>(w.numPartitions) != 0 ||
        (w.numPartitions > 1 &&
         (w.shape.empty() || w.shape[0] % w.numPartitions != 0)))
      return bundleError("weight '" + w.name + "': " + Twine(w.numPartitions) +
                         " partitions do not divide its leading dimension");
    if (w.partitionBytes * static_cast<uint64_t>(w.numPartitions) != bytes)
      return bundleError("weight '" + w.name + "' has " + Twine(w.partitionBytes) +
                         " bytes per partition, its shape and format (" +
                         weightFormatName(w.format) + ") need " +
                         Twine(bytes / static_cast<uint64_t>(w.numPartitions)));
    uint64_t parts = static_cast<uint64_t>(w.numPartitions);
    uint64_t partBytes = w.partitionBytes;
    uint64_t stride = parts == 1 ? partBytes : w.partitionStride;
    uint64_t span;
    if (stride < partBytes || __builtin_mul_overflow(parts - 1, stride, &span) ||
        span > UINT64_MAX - partBytes)
      return bundleError("weight '" + w.name + "': partition stride " +
                         Twine(w.partitionStride) + " is smaller than a partition (" +
                         Twine(partBytes) + " bytes)");
    span += partBytes;
    if (w.offset % YAN_BUNDLE_WEIGHT_ALIGNMENT != 0 || w.offset < end ||
        w.offset > c.weightSegmentSize || span > c.weightSegmentSize - w.offset)
      return bundleError("weight '" + w.name + "' at [" + Twine(w.offset) + ", +" +
                         Twine(span) + ") is not " + Twine(YAN_BUNDLE_WEIGHT_ALIGNMENT) +
                         "-aligned, overlaps the previous weight or exceeds the weight "
                         "segment (" + Twine(c.weightSegmentSize) + " bytes)");
    end = w.offset + span;
  }
  return Error::success();
}

Error checkContents(const BundleContents &c) {
  if (Error error = c.config.validate())
    return error;
  if (sys::IsBigEndianHost)
    return bundleError("writing bundles on a big-endian host is not supported");
  if (c.codeImages.empty())
    return bundleError("no code images");
  for (auto [i, image] : enumerate(c.codeImages)) {
    if (image.bytes.empty())
      return bundleError("code image " + Twine(i) + " (" + image.triple + ") is empty");
    if (image.arch == Arch::unknown)
      return bundleError("code image " + Twine(i) + " (" + image.triple +
                         ") names no architecture");
    bool learns = false;
    for (const BundleEntryPoint &entry : image.entries)
      learns |= entry.index == YAN_ENTRY_LEARN;
    if (learns != (c.learnPartitions > 0))
      return bundleError("code image " + Twine(i) +
                         (learns ? " has learn entries but the bundle has no "
                                   "learn_partitions"
                                 : " lacks the learn entries the bundle declares"));
    if (c.learnPartitions > c.config.numPartitions)
      return bundleError("learn_partitions " + Twine(c.learnPartitions) +
                         " exceeds the " + Twine(c.config.numPartitions) +
                         " partitions");
    for (const BundleEntryPoint &entry : image.entries)
      if (entry.maxTokens < 1)
        return bundleError("entry '" + entry.name + "' has max_tokens " +
                           Twine(entry.maxTokens));
  }
  if (Error error = checkWeights(c))
    return error;
  if (c.tokenizer) {
    if (static_cast<int64_t>(c.tokenizer->pieces.size()) != c.config.vocabSize)
      return bundleError("the tokenizer has " + Twine(c.tokenizer->pieces.size()) +
                         " pieces, the config's vocab_size is " + Twine(c.config.vocabSize));
    if (Error error = checkSentencePieceModel(*c.tokenizer, "tokenizer"))
      return error;
  }
  if (c.state.layers.size() != static_cast<size_t>(c.config.numLayers))
    return bundleError("state layout has " + Twine(c.state.layers.size()) +
                       " layers, the config " + Twine(c.config.numLayers));
  uint64_t vocab = static_cast<uint64_t>(c.config.vocabSize);
  for (const BundleTestVector &t : c.testVectors) {
    uint64_t rows = t.prompt.size() + t.generated.size();
    if (t.prompt.empty() || t.expectedLogits.size() != rows * vocab)
      return bundleError("test vector '" + t.name + "': " +
                         Twine(t.expectedLogits.size()) + " logits for " + Twine(rows) +
                         " rows of " + Twine(vocab) + " (the prompt must not be empty)");
    for (const std::vector<float> *state : {&t.prefillState, &t.finalState})
      if (!state->empty() && state->size() != c.state.stateFloats)
        return bundleError("test vector '" + t.name + "': a state has " +
                           Twine(state->size()) + " floats, expected " +
                           Twine(c.state.stateFloats));
  }
  return Error::success();
}

Error emitWeights(const BundleContents &c, Sink &sink) {
  for (const BundleWeight &w : c.weights) {
    for (int64_t p = 0; p < w.numPartitions; ++p) {
      uint64_t start = w.offset + static_cast<uint64_t>(p) * w.partitionStride;
      sink.zeros(start - sink.written);
      if (Error error = w.writePartition(p, [&](ArrayRef<uint8_t> piece) { sink.write(piece); }))
        return error;
      if (sink.written != start + w.partitionBytes)
        return bundleError("internal error: weight '" + w.name + "' partition " + Twine(p) +
                           " produced " + Twine(sink.written - start) + " bytes instead of " +
                           Twine(w.partitionBytes));
      if (sink.afterPartition)
        sink.afterPartition(w.name);
    }
  }
  sink.zeros(c.weightSegmentSize - sink.written);
  return Error::success();
}

// Reports a pass over the weight segment (`sink`, of `size` bytes) as
// `stage`, partition by partition.
std::function<void(StringRef)> weightProgress(const ProgressFn &progress, StringRef stage,
                                              const Sink &sink, uint64_t size) {
  if (!progress)
    return {};
  return [&progress, stage, &sink, size](StringRef tensor) {
    progress({stage, tensor, "", size ? static_cast<double>(sink.written) / size : 1.0});
  };
}

// Places each vector's float arrays in the test_data segment, 64-byte aligned.
uint64_t planTestData(const BundleContents &c, std::vector<TestSlices> &slices) {
  uint64_t end = 0;
  auto place = [&](const std::vector<float> &values) {
    uint64_t offset = alignTo(end, 64);
    end = offset + values.size() * sizeof(float);
    return offset;
  };
  for (const BundleTestVector &t : c.testVectors) {
    TestSlices s;
    s.logits = place(t.expectedLogits);
    if (!t.prefillState.empty())
      s.prefill = place(t.prefillState);
    if (!t.finalState.empty())
      s.final = place(t.finalState);
    slices.push_back(s);
  }
  return end;
}

void emitTestData(const BundleContents &c, ArrayRef<TestSlices> slices, uint64_t size,
                  Sink &sink) {
  auto put = [&](uint64_t offset, const std::vector<float> &values) {
    sink.zeros(offset - sink.written);
    sink.write(asBytes(values));
  };
  for (auto [t, s] : zip(c.testVectors, slices)) {
    put(s.logits, t.expectedLogits);
    if (!t.prefillState.empty())
      put(s.prefill, t.prefillState);
    if (!t.finalState.empty())
      put(s.final, t.finalState);
  }
  sink.zeros(size - sink.written);
}

fb::DType toFb(WeightFormat format) {
  if (format.quant)
    return *format.quant == QuantFormat::Int8 ? fb::DType::int8 : fb::DType::int4;
  switch (format.dtype) {
  case DType::F32: return fb::DType::f32;
  case DType::F16: return fb::DType::f16;
  case DType::BF16: return fb::DType::bf16;
  }
  llvm_unreachable("unknown dtype");
}

// The table of contents. Segment indices: code images 0..n-1, then weights,
// then test data.
flatbuffers::Offset<fb::Tokenizer> buildTokenizer(flatbuffers::FlatBufferBuilder &b,
                                                  const SentencePieceModel &t) {
  std::vector<flatbuffers::Offset<flatbuffers::String>> pieces;
  std::vector<float> scores;
  std::vector<uint8_t> types;
  for (const SentencePiece &p : t.pieces) {
    pieces.push_back(b.CreateString(p.piece));
    scores.push_back(p.score);
    types.push_back(static_cast<uint8_t>(p.type));
  }
  // Not the *Direct helper: it takes C strings, and unk_surface may hold NUL.
  auto surface = b.CreateString(t.unkSurface);
  return fb::CreateTokenizer(b, fb::TokenizerKind::sentencepiece_unigram,
                             b.CreateVector(pieces), b.CreateVector(scores),
                             b.CreateVector(types), t.unkId, t.bosId, t.eosId, t.padId,
                             t.addDummyPrefix, t.byteFallback, surface);
}

flatbuffers::DetachedBuffer buildToc(const BundleContents &c,
                                     ArrayRef<SegmentPlan> segments,
                                     ArrayRef<TestSlices> slices,
                                     ArrayRef<Digest> weightRanges) {
  flatbuffers::FlatBufferBuilder b(16384);
  const ModelConfig &cfg = c.config;
  auto config = fb::CreateModelConfig(
      b, cfg.vocabSize, cfg.hiddenSize, cfg.numLayers, cfg.numChannels, cfg.slopeWindow,
      cfg.numPartitions, cfg.activePartitions, cfg.partitionSize, cfg.normEps,
      b.CreateVector(cfg.decays), b.CreateVector(cfg.slopes));

  std::vector<flatbuffers::Offset<fb::Segment>> segmentTable;
  for (const SegmentPlan &s : segments) {
    fb::Sha256 sha(flatbuffers::span<const uint8_t, 32>(s.sha256.data(), 32));
    segmentTable.push_back(fb::CreateSegment(b, s.kind, s.offset, s.size, &sha));
  }

  std::vector<flatbuffers::Offset<fb::CodeImage>> images;
  for (auto [i, image] : enumerate(c.codeImages)) {
    std::vector<flatbuffers::Offset<fb::EntryPoint>> entries;
    for (const BundleEntryPoint &e : image.entries)
      entries.push_back(fb::CreateEntryPointDirect(b, e.name.c_str(), e.index, e.maxTokens,
                                                   e.arenaBytes));
    images.push_back(fb::CreateCodeImageDirect(
        b, image.triple.c_str(), image.arch, image.cpu.c_str(),
        image.features.c_str(), image.abiVersion, static_cast<uint32_t>(i), &entries,
        image.requiredFeatures.c_str()));
  }

  std::vector<flatbuffers::Offset<fb::Weight>> weights;
  for (const BundleWeight &w : c.weights) {
    uint64_t parts = static_cast<uint64_t>(w.numPartitions);
    uint64_t partBytes = w.partitionBytes;
    uint64_t stride = parts == 1 ? partBytes : w.partitionStride;
    std::vector<fb::Sha256> ranges;
    for (const Digest &d : weightRanges.take_front(parts))
      ranges.emplace_back(flatbuffers::span<const uint8_t, 32>(d.data(), 32));
    weightRanges = weightRanges.drop_front(parts);
    weights.push_back(fb::CreateWeightDirect(b, w.name.c_str(), toFb(w.format), &w.shape,
                                             w.offset, (parts - 1) * stride + partBytes,
                                             w.numPartitions, stride, &ranges));
  }

  std::vector<flatbuffers::Offset<fb::LayerState>> layers;
  for (const LayerStateLayout &l : c.state.layers)
    layers.push_back(fb::CreateLayerStateDirect(b, l.hOffset, &l.hShape, l.uHistOffset,
                                                &l.uHistShape));
  auto state = fb::CreateStateLayoutDirect(b, &layers, c.state.stateFloats);

  uint32_t weightSegment = static_cast<uint32_t>(c.codeImages.size());
  uint32_t testSegment = weightSegment + 1;
  std::vector<flatbuffers::Offset<fb::TestVector>> tests;
  for (auto [t, s] : zip(c.testVectors, slices)) {
    auto slice = [&](uint64_t offset, const std::vector<float> &values) {
      if (values.empty())
        return flatbuffers::Offset<fb::FloatData>();
      return fb::CreateFloatData(
          b, 0, fb::CreateSegmentSlice(b, testSegment, offset, values.size() * sizeof(float)));
    };
    auto logits = slice(s.logits, t.expectedLogits);
    auto prefill = slice(s.prefill, t.prefillState);
    auto final = slice(s.final, t.finalState);
    tests.push_back(fb::CreateTestVectorDirect(b, t.name.c_str(), &t.prompt, &t.generated,
                                               t.nextToken, logits, prefill, final));
  }

  auto tokenizer = c.tokenizer ? buildTokenizer(b, *c.tokenizer)
                               : flatbuffers::Offset<fb::Tokenizer>();
  auto root = fb::CreateBundleDirect(b, c.schemaVersion, c.compilerVersion.c_str(), config,
                                     &segmentTable, &images, weightSegment, &weights, state,
                                     tests.empty() ? nullptr : &tests,
                                     c.weightBytesPerToken,
                                     c.learnPartitions > 0
                                         ? fb::CreateLearnInfo(b, c.learnPartitions)
                                         : 0,
                                     tokenizer, c.flopsPerToken, c.learnFlopsPerToken,
                                     c.learnFlopsPerRoutedPair);
  fb::FinishBundleBuffer(b, root);
  return b.Release();
}

} // namespace

Error writeBundle(raw_ostream &os, const BundleContents &c, const ProgressFn &progress) {
  if (Error error = checkContents(c))
    return error;

  std::vector<SegmentPlan> segments;
  for (const BundleCodeImage &image : c.codeImages) {
    ArrayRef<uint8_t> bytes = image.bytes;
    segments.push_back({fb::SegmentKind::code, bytes.size(),
                        [bytes](Sink &sink) {
                          sink.write(bytes);
                          return Error::success();
                        }});
  }
  segments.push_back({fb::SegmentKind::weights, c.weightSegmentSize,
                      [&c](Sink &sink) { return emitWeights(c, sink); }});
  std::vector<TestSlices> slices;
  if (!c.testVectors.empty()) {
    uint64_t size = planTestData(c, slices);
    segments.push_back({fb::SegmentKind::test_data, size, [&c, &slices, size](Sink &sink) {
                          emitTestData(c, slices, size, sink);
                          return Error::success();
                        }});
  }
  uint64_t offset = 0;
  std::vector<Digest> weightRanges;
  for (SegmentPlan &s : segments) {
    s.offset = alignTo(offset, YAN_BUNDLE_SEGMENT_ALIGNMENT);
    offset = s.offset + s.size;
    bool weights = s.kind == fb::SegmentKind::weights;
    RangeHashSink hash(weights ? weightRangeStarts(c) : std::vector<uint64_t>{});
    if (weights)
      hash.afterPartition = weightProgress(progress, "weights (hash)", hash, s.size);
    // A conversion that fails does so here, before anything is written.
    if (Error error = s.emit(hash))
      return error;
    if (hash.written != s.size)
      return bundleError("internal error: a segment emitted " + Twine(hash.written) +
                         " bytes instead of " + Twine(s.size));
    s.sha256 = hash.sha.finish();
    if (s.kind == fb::SegmentKind::weights && !hash.starts.empty()) {
      hash.closeRange();
      weightRanges = std::move(hash.ranges);
    }
  }

  flatbuffers::DetachedBuffer toc = buildToc(c, segments, slices, weightRanges);
  yan_bundle_header header{};
  std::memcpy(header.magic, YAN_BUNDLE_MAGIC, sizeof(header.magic));
  // Version 3, signed or not: the TOC hash lets development mode refuse a
  // damaged table of contents (bundle_format.h).
  header.header_version = YAN_BUNDLE_HEADER_VERSION;
  header.flags = YAN_BUNDLE_FLAG_TOC_HASH;
  header.header_size = YAN_BUNDLE_HEADER_SIZE;
  header.flatbuffer_offset = YAN_BUNDLE_HEADER_SIZE;
  header.flatbuffer_size = toc.size();
  header.segment_base_offset =
      alignTo(YAN_BUNDLE_HEADER_SIZE + toc.size() + YAN_BUNDLE_TOC_HASH_SIZE,
              YAN_BUNDLE_SEGMENT_ALIGNMENT);
  header.file_size = header.segment_base_offset + offset;
  header.segment_alignment = YAN_BUNDLE_SEGMENT_ALIGNMENT;

  // Everything before the segments: header, FlatBuffer, zero padding, TOC
  // hash. The signature covers exactly these bytes (and through the
  // FlatBuffer's hashes, every segment).
  std::vector<uint8_t> prefix(header.segment_base_offset, 0);
  yan_signature_block block{};
  if (c.signingSeed) {
    header.flags |= YAN_BUNDLE_FLAG_SIGNED;
    header.signature_offset = alignTo(header.file_size, YAN_SIGNATURE_ALIGNMENT);
    header.file_size = header.signature_offset + YAN_SIGNATURE_BLOCK_SIZE;
  }
  std::memcpy(prefix.data(), &header, sizeof(header));
  std::memcpy(prefix.data() + header.flatbuffer_offset, toc.data(), toc.size());
  rt::sealToc(prefix.data());
  if (c.signingSeed) {
    std::memcpy(block.magic, YAN_SIGNATURE_MAGIC, sizeof(block.magic));
    block.version = YAN_SIGNATURE_VERSION;
    block.algorithm = YAN_SIGNATURE_ALG_ED25519;
    uint8_t publicKey[rt::kPublicKeyBytes];
    rt::SignatureMessage message = rt::signatureMessage(
        YAN_BUNDLE_SIGNATURE_DOMAIN, prefix.data(), prefix.size());
    if (!rt::ed25519PublicKey(c.signingSeed->data(), publicKey) ||
        !rt::ed25519Sign(c.signingSeed->data(), message.bytes, message.size, block.signature))
      return bundleError("signing failed (libsodium could not initialize)");
    rt::keyId(publicKey, block.key_id);
  }

  StreamSink out(os);
  out.write(prefix);
  for (SegmentPlan &s : segments) {
    out.zeros(header.segment_base_offset + s.offset - out.written);
    StreamSink segment(os);
    if (s.kind == fb::SegmentKind::weights)
      segment.afterPartition = weightProgress(progress, "weights (write)", segment, s.size);
    if (Error error = s.emit(segment))
      return error;
    out.written += segment.written;
  }
  if (c.signingSeed) {
    out.zeros(header.signature_offset - out.written);
    out.write(ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(&block), sizeof(block)));
  }
  if (out.written != header.file_size)
    return bundleError("internal error: wrote " + Twine(out.written) + " bytes, header says " +
                       Twine(header.file_size));
  return Error::success();
}

Expected<std::array<uint8_t, 32>> readSigningKey(StringRef path) {
  // A key file is one line (a few comment lines at most).
  Expected<std::unique_ptr<MemoryBuffer>> buffer = readRegularFile(path, 4096, /*text=*/true);
  if (!buffer)
    return createStringError(inconvertibleErrorCode(), "cannot read signing key: " +
                                                           toString(buffer.takeError()));
  std::array<uint8_t, 32> seed;
  char why[128];
  StringRef text = (*buffer)->getBuffer();
  if (rt::parseKeyText(text.data(), text.size(), rt::kPublicKeyLabel, seed.data(), why,
                       sizeof why))
    return createStringError(inconvertibleErrorCode(),
                             path + " is a public key: signing needs the secret key "
                                    "(yan-keygen writes KEY and KEY.pub)");
  sys::fs::file_status status;
  if (std::error_code ec = sys::fs::status(path, status))
    return createStringError(ec, "cannot read signing key " + path + ": " + ec.message());
  if (status.permissions() & (sys::fs::group_all | sys::fs::others_all))
    return createStringError(inconvertibleErrorCode(),
                             "signing key " + path +
                                 " is accessible by group or others: chmod 600 it (a "
                                 "secret key must be readable by its owner only)");
  if (!rt::parseKeyText(text.data(), text.size(), rt::kSecretKeyLabel, seed.data(), why,
                        sizeof why))
    return createStringError(inconvertibleErrorCode(),
                             path + " is not a secret key: " + Twine(why));
  return seed;
}

Error writeBundle(StringRef path, const BundleContents &contents, const ProgressFn &progress) {
  // writeToOutput writes a temporary file next to `path` and renames it, so
  // readers never see a half-written bundle.
  return writeToOutput(path,
                       [&](raw_ostream &os) { return writeBundle(os, contents, progress); });
}

} // namespace yan
