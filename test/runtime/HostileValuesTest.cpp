//===- HostileValuesTest.cpp - Sizes, offsets, counts at their limits -----===//
//
// Issue 7 ("hostile values"): bundles whose sizes, offsets, counts or shapes
// are huge, negative after casts, overlapping or pointing outside the file
// are refused at open with a clear status, and nothing is allocated by their
// numbers: the only allocation open makes is the bundle struct, and what a
// session would allocate is capped by what the file can justify
// (max(64 MiB, 64 x its size): bundle_verify.cpp, checkSessionBudget).
//
// The FlatBuffer of a valid fixture bundle is read into plain values (Toc),
// one value is changed, and the FlatBuffer is rebuilt with the generated
// Create* functions and spliced back in place (the writer itself refuses
// such values).
//
//===----------------------------------------------------------------------===//
#include "Fixture.h"

#include "compiler/import/ConvertWeights.h"

#include "bundle_generated.h"
#include "yan/bundle_format.h"
#include "yan/crypto/toc_hash.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <array>
#include <cstring>
#include <functional>
#include <limits>

using namespace yan;
using namespace yan::test;
namespace fb = ::yan::fb;

namespace {

constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

// Everything in a bundle's FlatBuffer except test vectors, as plain values.
struct Toc {
  uint32_t schemaVersion = 0;
  std::string compiler;
  std::array<int64_t, 8> dims{}; // V D L C K P k F
  float normEps = 0;
  std::vector<float> decays, slopes;
  struct Segment {
    fb::SegmentKind kind;
    uint64_t offset, size;
    std::array<uint8_t, 32> sha;
  };
  std::vector<Segment> segments;
  struct Entry {
    std::string name;
    uint32_t index;
    int64_t maxTokens;
    uint64_t arena;
  };
  struct Image {
    std::string triple, cpu, features, required;
    fb::Arch arch;
    uint32_t abi, segment;
    std::vector<Entry> entries;
  };
  std::vector<Image> images;
  uint32_t weightSegment = 0;
  struct Weight {
    std::string name;
    fb::DType dtype;
    std::vector<int64_t> shape;
    uint64_t offset, size;
    int64_t parts;
    uint64_t stride;
  };
  std::vector<Weight> weights;
  struct Layer {
    uint64_t h;
    std::vector<int64_t> hShape;
    uint64_t u;
    std::vector<int64_t> uShape;
  };
  std::vector<Layer> layers;
  uint64_t stateFloats = 0;
  uint64_t weightBytesPerToken = 0;
  int64_t learnPartitions = -1; // -1: no learn table
};

std::string str(const flatbuffers::String *s) { return s ? s->str() : ""; }
template <typename T> std::vector<T> vec(const flatbuffers::Vector<T> *v) {
  return v ? std::vector<T>(v->begin(), v->end()) : std::vector<T>{};
}

Toc readToc(const std::vector<uint8_t> &bytes) {
  yan_bundle_header h;
  std::memcpy(&h, bytes.data(), sizeof h);
  const fb::Bundle &b = *fb::GetBundle(bytes.data() + h.flatbuffer_offset);
  Toc t;
  t.schemaVersion = b.schema_version();
  t.compiler = str(b.compiler_version());
  const fb::ModelConfig &c = *b.config();
  t.dims = {c.vocab_size(),   c.hidden_size(),    c.num_layers(),        c.num_channels(),
            c.slope_window(), c.num_partitions(), c.active_partitions(), c.partition_size()};
  t.normEps = c.norm_eps();
  t.decays = vec(c.decays());
  t.slopes = vec(c.slopes());
  for (const fb::Segment *s : *b.segments()) {
    Toc::Segment seg{s->kind(), s->offset(), s->size(), {}};
    std::memcpy(seg.sha.data(), s->sha256()->bytes()->data(), 32);
    t.segments.push_back(seg);
  }
  for (const fb::CodeImage *i : *b.code_images()) {
    Toc::Image image{str(i->triple()), str(i->cpu()), str(i->features()),
                     str(i->required_features()), i->arch(), i->abi_version(), i->segment(), {}};
    for (const fb::EntryPoint *e : *i->entries())
      image.entries.push_back({str(e->name()), e->index(), e->max_tokens(), e->arena_bytes()});
    t.images.push_back(image);
  }
  t.weightSegment = b.weight_segment();
  for (const fb::Weight *w : *b.weights())
    t.weights.push_back({str(w->name()), w->dtype(), vec(w->shape()), w->offset(), w->size(),
                         w->num_partitions(), w->partition_stride()});
  for (const fb::LayerState *l : *b.state()->layers())
    t.layers.push_back({l->h_offset(), vec(l->h_shape()), l->u_hist_offset(),
                        vec(l->u_hist_shape())});
  t.stateFloats = b.state()->state_floats();
  t.weightBytesPerToken = b.weight_bytes_per_token();
  if (b.learn())
    t.learnPartitions = b.learn()->learn_partitions();
  return t;
}

// `bytes` with its FlatBuffer replaced by one built from `t`.
std::vector<uint8_t> withToc(std::vector<uint8_t> bytes, const Toc &t) {
  flatbuffers::FlatBufferBuilder b;
  auto config = fb::CreateModelConfigDirect(b, t.dims[0], t.dims[1], t.dims[2], t.dims[3],
                                            t.dims[4], t.dims[5], t.dims[6], t.dims[7],
                                            t.normEps, &t.decays, &t.slopes);
  std::vector<flatbuffers::Offset<fb::Segment>> segments;
  for (const Toc::Segment &s : t.segments) {
    fb::Sha256 sha(flatbuffers::span<const uint8_t, 32>(s.sha.data(), 32));
    segments.push_back(fb::CreateSegment(b, s.kind, s.offset, s.size, &sha));
  }
  std::vector<flatbuffers::Offset<fb::CodeImage>> images;
  for (const Toc::Image &i : t.images) {
    std::vector<flatbuffers::Offset<fb::EntryPoint>> entries;
    for (const Toc::Entry &e : i.entries)
      entries.push_back(
          fb::CreateEntryPointDirect(b, e.name.c_str(), e.index, e.maxTokens, e.arena));
    images.push_back(fb::CreateCodeImageDirect(b, i.triple.c_str(), i.arch, i.cpu.c_str(),
                                               i.features.c_str(), i.abi, i.segment, &entries,
                                               i.required.c_str()));
  }
  std::vector<flatbuffers::Offset<fb::Weight>> weights;
  for (const Toc::Weight &w : t.weights)
    weights.push_back(fb::CreateWeightDirect(b, w.name.c_str(), w.dtype, &w.shape, w.offset,
                                             w.size, w.parts, w.stride));
  std::vector<flatbuffers::Offset<fb::LayerState>> layers;
  for (const Toc::Layer &l : t.layers)
    layers.push_back(fb::CreateLayerStateDirect(b, l.h, &l.hShape, l.u, &l.uShape));
  auto state = fb::CreateStateLayoutDirect(b, &layers, t.stateFloats);
  auto root = fb::CreateBundleDirect(
      b, t.schemaVersion, t.compiler.c_str(), config, &segments, &images, t.weightSegment,
      &weights, state, nullptr, t.weightBytesPerToken,
      t.learnPartitions >= 0 ? fb::CreateLearnInfo(b, t.learnPartitions) : 0);
  fb::FinishBundleBuffer(b, root);

  yan_bundle_header h;
  std::memcpy(&h, bytes.data(), sizeof h);
  EXPECT_LE(h.flatbuffer_offset + b.GetSize(), rt::tocHashedBytes(h)) << "TOC grew too much";
  std::fill(bytes.begin() + h.flatbuffer_offset, bytes.begin() + h.segment_base_offset, 0);
  std::memcpy(bytes.data() + h.flatbuffer_offset, b.GetBufferPointer(), b.GetSize());
  h.flatbuffer_size = b.GetSize();
  std::memcpy(bytes.data(), &h, sizeof h);
  // As a deliberate writer would: these tests are about the checks behind
  // the TOC hash, which must hold without it (older bundles have none).
  rt::sealToc(bytes.data());
  return bytes;
}

const std::vector<uint8_t> &valid() {
  static const std::vector<uint8_t> bytes =
      bundleBytes(fixtureBundle(hostFixtureImage()).contents);
  return bytes;
}

// Records the largest allocation request.
struct CountingAllocator {
  size_t largest = 0;
  static void *allocate(void *self, size_t size, size_t alignment) {
    auto *c = static_cast<CountingAllocator *>(self);
    c->largest = std::max(c->largest, size);
    void *p = nullptr;
    return posix_memalign(&p, alignment < sizeof(void *) ? sizeof(void *) : alignment, size)
               ? nullptr
               : p;
  }
  static void release(void *, void *p) { std::free(p); }
  yan_allocator_t allocator() { return {this, &allocate, &release}; }
};

// Opens (with code) and, if that succeeds, creates a session.
Status openAndCreate(const std::vector<uint8_t> &bytes, size_t *largest) {
  AlignedBytes aligned(bytes);
  CountingAllocator counter;
  yan_bundle_t *raw = nullptr;
  Status status = yan_bundle_open_memory(aligned.data(), aligned.size(), nullptr,
                                         counter.allocator(), &raw);
  BundlePtr bundle(raw);
  if (status.ok()) {
    yan_session_t *session = nullptr;
    yan_allocator_t a = counter.allocator();
    status = yan_session_create(bundle.get(), &a, &session);
    yan_session_destroy(session);
  }
  *largest = counter.largest;
  return status;
}

// Applies `change` to the valid TOC and expects `code` with no allocation
// beyond the bundle struct.
void expectRefused(const char *what, const std::function<void(Toc &)> &change,
                   yan_status_code_t code, const std::vector<uint8_t> &base = valid()) {
  Toc t = readToc(base);
  change(t);
  size_t largest = 0;
  Status status = openAndCreate(withToc(base, t), &largest);
  EXPECT_EQ(status.code(), code) << what << ": " << status.text();
  EXPECT_FALSE(status.message().empty()) << what;
  EXPECT_LE(largest, size_t(1) << 20) << what << ": allocated " << largest << " bytes";
}

TEST(HostileValues, RebuiltTocStillOpens) {
  size_t largest = 0;
  Status status = openAndCreate(withToc(valid(), readToc(valid())), &largest);
  EXPECT_TRUE(status.ok()) << status.text();
}

TEST(HostileValues, ConfigDimensionsAtIntegerLimits) {
  const char *names[] = {"V", "D", "L", "C", "K", "P", "k", "F"};
  for (int field = 0; field < 8; ++field)
    for (int64_t value : {kI64Max, kI64Min, int64_t(-1), int64_t(0),
                          int64_t(std::numeric_limits<int32_t>::max()) + 1,
                          int64_t(1) << 32, int64_t(1) << 62})
      expectRefused((std::string("config ") + names[field] + " = " + std::to_string(value)).c_str(),
                    [&](Toc &t) { t.dims[field] = value; }, YAN_STATUS_BAD_CONFIG);
}

// V = INT32_MAX is a valid token range, but a logits row of 8 GiB is not
// something a 100 KiB bundle can justify.
// A V the embedding's rows do not back is refused by the shape check
// (embed.weight and lm_head.weight must be [V, D]) before the session
// budget would be asked about its logits row.
TEST(HostileValues, VocabularyTheFileCannotJustify) {
  for (int64_t vocab : {int64_t(std::numeric_limits<int32_t>::max()), kFixtureVocab + 1,
                        kFixtureVocab - 1})
    expectRefused("V", [&](Toc &t) { t.dims[0] = vocab; }, YAN_STATUS_BAD_LAYOUT);
}

TEST(HostileValues, SegmentsHugeOverlappingOrOutside) {
  uint64_t huge = kU64Max & ~uint64_t(YAN_BUNDLE_SEGMENT_ALIGNMENT - 1);
  std::vector<std::pair<const char *, std::function<void(Toc &)>>> cases = {
      {"offset near 2^64", [&](Toc &t) { t.segments[1].offset = huge; }},
      {"size 2^64-1", [&](Toc &t) { t.segments[1].size = kU64Max; }},
      {"offset + size wraps", [&](Toc &t) { t.segments[2].size = kU64Max - t.segments[2].offset + 1; }},
      {"overlap", [&](Toc &t) { t.segments[1].offset = t.segments[0].offset; }},
      {"unaligned", [&](Toc &t) { t.segments[1].offset += 64; }},
      {"past the end", [&](Toc &t) { t.segments[2].size += 1 << 20; }},
      {"unknown kind", [&](Toc &t) { t.segments[2].kind = fb::SegmentKind(200); }},
      {"weight segment index", [&](Toc &t) { t.weightSegment = UINT32_MAX; }},
      {"image segment index", [&](Toc &t) { t.images[0].segment = UINT32_MAX; }},
      {"image segment not code", [&](Toc &t) { t.images[0].segment = t.weightSegment; }},
  };
  for (auto &[what, change] : cases)
    expectRefused(what, change, YAN_STATUS_BAD_LAYOUT);
}

TEST(HostileValues, WeightsHugeNegativeOrOverlapping) {
  std::vector<std::pair<const char *, std::function<void(Toc &)>>> cases = {
      {"dim INT64_MAX", [](Toc &t) { t.weights[0].shape[0] = kI64Max; }},
      {"dim -1", [](Toc &t) { t.weights[0].shape[0] = -1; }},
      {"dim INT64_MIN", [](Toc &t) { t.weights[1].shape.back() = kI64Min; }},
      {"rank 5", [](Toc &t) { t.weights[0].shape = {1, 1, 1, 1, 1}; }},
      {"offset near 2^64", [](Toc &t) { t.weights.back().offset = kU64Max - 63; }},
      {"size 2^64-1", [](Toc &t) { t.weights.back().size = kU64Max; }},
      {"misaligned", [](Toc &t) { t.weights[1].offset += 4; }},
      {"overlap", [](Toc &t) { t.weights[1].offset = t.weights[0].offset; }},
      {"partitions 0", [](Toc &t) { t.weights[0].parts = 0; }},
      {"partitions -1", [](Toc &t) { t.weights[0].parts = -1; }},
      {"partitions INT64_MIN", [](Toc &t) { t.weights[0].parts = kI64Min; }},
      {"partitions INT64_MAX", [](Toc &t) { t.weights[0].parts = kI64Max; }},
      {"unknown dtype", [](Toc &t) { t.weights[0].dtype = fb::DType(77); }},
  };
  // A partitioned weight's stride.
  for (size_t i = 0; i < 40; ++i) {
    Toc t = readToc(valid());
    if (i < t.weights.size() && t.weights[i].parts > 1) {
      cases.push_back({"stride 2^64-1", [i](Toc &t) { t.weights[i].stride = kU64Max; }});
      cases.push_back({"stride 2^63", [i](Toc &t) { t.weights[i].stride = uint64_t(1) << 63; }});
      break;
    }
  }
  for (auto &[what, change] : cases)
    expectRefused(what, change, YAN_STATUS_BAD_LAYOUT);
}

// A valid bundle whose matrices are int4 (norms f32): the fixture's model
// with yanc --weights int4's formats, embed kept f32.
const std::vector<uint8_t> &quantizedValid() {
  static const Checkpoint checkpoint = [] {
    Checkpoint c = randomCheckpoint(fixtureConfig(), 7);
    llvm::cantFail(selectWeightFormats(c, "int4", "embed"));
    return c;
  }();
  static const std::vector<uint8_t> bytes = bundleBytes(
      fixtureBundleFor(checkpoint, fixtureConfig(), hostFixtureImage(), {}).contents);
  return bytes;
}

size_t weightIndex(const Toc &t, const std::string &name) {
  for (size_t i = 0; i < t.weights.size(); ++i)
    if (t.weights[i].name == name)
      return i;
  ADD_FAILURE() << "no weight " << name;
  return 0;
}

// int8/int4 tables: sizes from the shape by the slab formula the compiler
// uses (yan/quant_format.h), never on a vector.
TEST(HostileValues, QuantizedWeightsDamaged) {
  size_t largest = 0;
  Status status = openAndCreate(withToc(quantizedValid(), readToc(quantizedValid())), &largest);
  ASSERT_TRUE(status.ok()) << status.text();
  Toc valid = readToc(quantizedValid());
  size_t lmHead = weightIndex(valid, "lm_head.weight");
  size_t norm = weightIndex(valid, "layers.0.mix_norm.weight");
  size_t w1 = weightIndex(valid, "layers.1.ffn.w1");
  size_t embed = weightIndex(valid, "embed.weight");
  ASSERT_EQ(valid.weights[lmHead].dtype, fb::DType::int4);
  ASSERT_EQ(valid.weights[w1].dtype, fb::DType::int4);
  ASSERT_EQ(valid.weights[norm].dtype, fb::DType::f32);
  std::vector<std::pair<const char *, std::function<void(Toc &)>>> cases = {
      {"int4 size + 64", [&](Toc &t) { t.weights[lmHead].size += 64; }},
      {"int4 size - 64", [&](Toc &t) { t.weights[lmHead].size -= 64; }},
      {"int4 read as int8", [&](Toc &t) { t.weights[lmHead].dtype = fb::DType::int8; }},
      {"int4 more columns", [&](Toc &t) { t.weights[lmHead].shape.back() += 32; }},
      {"int4 more rows", [&](Toc &t) { t.weights[lmHead].shape[0] += 100; }},
      {"int4 rank 1", [&](Toc &t) { t.weights[lmHead].shape = {t.weights[lmHead].shape[0]}; }},
      {"int4 empty dim", [&](Toc &t) { t.weights[lmHead].shape.back() = 0; }},
      {"int4 partition stride", [&](Toc &t) { t.weights[w1].stride -= 64; }},
      {"int8 on a norm vector", [&](Toc &t) { t.weights[norm].dtype = fb::DType::int8; }},
      {"int4 on a norm vector", [&](Toc &t) { t.weights[norm].dtype = fb::DType::int4; }},
      {"f32 table read as int4", [&](Toc &t) { t.weights[embed].dtype = fb::DType::int4; }},
      {"int4 split inside a matrix", [&](Toc &t) {
         t.weights[lmHead].parts = 2;
         t.weights[lmHead].stride = t.weights[lmHead].size / 2;
       }},
  };
  for (auto &[what, change] : cases)
    expectRefused(what, change, YAN_STATUS_BAD_LAYOUT, quantizedValid());
}

TEST(HostileValues, EntryPointsAndArenas) {
  std::vector<std::pair<const char *, std::function<void(Toc &)>>> cases = {
      {"max_tokens INT64_MAX", [](Toc &t) { t.images[0].entries[0].maxTokens = kI64Max; }},
      {"max_tokens -1", [](Toc &t) { t.images[0].entries[0].maxTokens = -1; }},
      {"max_tokens 0", [](Toc &t) { t.images[0].entries[0].maxTokens = 0; }},
      {"index 2^32-1", [](Toc &t) { t.images[0].entries[0].index = UINT32_MAX; }},
      {"arena 2^64-1", [](Toc &t) { t.images[0].entries[0].arena = kU64Max; }},
      // Within the old fixed limit (2^40), but not justified by the file:
      // the session would have asked the allocator for a terabyte.
      {"arena 2^40", [](Toc &t) { t.images[0].entries[0].arena = uint64_t(1) << 40; }},
      {"arena 1 GiB", [](Toc &t) { t.images[0].entries[1].arena = uint64_t(1) << 30; }},
  };
  for (auto &[what, change] : cases)
    expectRefused(what, change, YAN_STATUS_BAD_LAYOUT);
}

// The learn table and entries (issue 6): the table and the entries come
// together, M in [1, P], LEARN's sample at least 2 tokens, its arena and
// logits within the session budget, the FFN weights learning writes where
// the config says.
TEST(HostileValues, LearnTableAndEntries) {
  static const std::vector<uint8_t> learnValid =
      bundleBytes(learnFixtureBundle(hostFixtureImage()).contents);
  size_t largest = 0;
  Status status = openAndCreate(withToc(learnValid, readToc(learnValid)), &largest);
  ASSERT_TRUE(status.ok()) << status.text();
  auto learnEntry = [](Toc &t) -> Toc::Entry & {
    for (Toc::Entry &e : t.images[0].entries)
      if (e.index == YAN_ENTRY_LEARN)
        return e;
    return t.images[0].entries[0];
  };
  std::vector<std::pair<const char *, std::function<void(Toc &)>>> cases = {
      {"learn_partitions 0", [](Toc &t) { t.learnPartitions = 0; }},
      {"learn_partitions P + 1", [](Toc &t) { t.learnPartitions = t.dims[5] + 1; }},
      {"learn_partitions INT64_MAX", [](Toc &t) { t.learnPartitions = kI64Max; }},
      {"learn table without learn entries",
       [](Toc &t) { t.images[0].entries.resize(2); }},
      {"learn entries without learn table", [](Toc &t) { t.learnPartitions = -1; }},
      {"learn entry index 4", [&](Toc &t) { learnEntry(t).index = 4; }},
      {"learn max_tokens 1", [&](Toc &t) { learnEntry(t).maxTokens = 1; }},
      {"learn max_tokens 2^24 (logits past the budget)",
       [&](Toc &t) { learnEntry(t).maxTokens = int64_t(1) << 24; }},
      {"learn arena 2^40", [&](Toc &t) { learnEntry(t).arena = uint64_t(1) << 40; }},
      {"an FFN weight missing", [](Toc &t) {
         for (Toc::Weight &w : t.weights)
           if (w.name == "layers.1.ffn.w2")
             w.name = "layers.1.ffn.w9";
       }},
      {"an FFN weight transposed", [](Toc &t) {
         for (Toc::Weight &w : t.weights)
           if (w.name == "layers.0.ffn.w3")
             std::swap(w.shape[1], w.shape[2]);
       }},
  };
  for (auto &[what, change] : cases)
    expectRefused(what, change, YAN_STATUS_BAD_LAYOUT, learnValid);
  // A learn table over an image compiled without learn entries (NULL slots).
  std::vector<uint8_t> noLearn =
      fixtureFile(std::string("fixture_nolearn_") + yan_arch_name(yan_host_arch()) + ".so");
  FixtureBundle b = learnFixtureBundle(noLearn);
  status = openAndCreate(bundleBytes(b.contents), &largest);
  EXPECT_EQ(status.code(), YAN_STATUS_BAD_ELF) << status.text();
  EXPECT_NE(status.message().find("learn table"), std::string::npos) << status.text();
}

TEST(HostileValues, StateLayout) {
  std::vector<std::pair<const char *, std::function<void(Toc &)>>> cases = {
      {"state_floats 2^64-1", [](Toc &t) { t.stateFloats = kU64Max; }},
      {"state_floats 2^40", [](Toc &t) { t.stateFloats = uint64_t(1) << 40; }},
      {"state_floats one more", [](Toc &t) { t.stateFloats += 1; }},
      {"state_floats 0", [](Toc &t) { t.stateFloats = 0; }},
      {"h offset 2^64-1", [](Toc &t) { t.layers[1].h = kU64Max; }},
      {"u_hist offset 2^64-1", [](Toc &t) { t.layers[0].u = kU64Max; }},
      {"overlapping layers", [](Toc &t) { t.layers[1].h = t.layers[0].h; }},
      {"missing layer", [](Toc &t) { t.layers.pop_back(); }},
      {"shape -1", [](Toc &t) { t.layers[0].hShape = {-1}; }},
  };
  for (auto &[what, change] : cases)
    expectRefused(what, change, YAN_STATUS_BAD_CONFIG);
}

// An arch byte beyond yan_arch_t (a newer writer's, or damage) names no
// host; found by UBSan (loading it as yan_arch_t was undefined behaviour).
TEST(HostileValues, UnknownArchitectureValues) {
  for (int arch : {4, 63, 255}) {
    Toc t = readToc(valid());
    t.images[0].arch = fb::Arch(arch);
    size_t largest = 0;
    Status status = openAndCreate(withToc(valid(), t), &largest);
    EXPECT_EQ(status.code(), YAN_STATUS_NO_IMAGE_FOR_HOST) << arch << ": " << status.text();
    EXPECT_THAT(status.message(), ::testing::HasSubstr("unknown"));
  }
}

// Header fields at their limits: offsets and sizes whose sums wrap.
TEST(HostileValues, HeaderFieldsAtTheirLimits) {
  struct Case {
    const char *what;
    std::function<void(yan_bundle_header &)> change;
  } cases[] = {
      {"flatbuffer_offset 2^64-8", [](yan_bundle_header &h) { h.flatbuffer_offset = kU64Max - 7; }},
      {"flatbuffer_size 2^64-1", [](yan_bundle_header &h) { h.flatbuffer_size = kU64Max; }},
      {"flatbuffer wraps", [](yan_bundle_header &h) {
         h.flatbuffer_size = kU64Max - h.flatbuffer_offset + 9; }},
      {"segment base near 2^64", [](yan_bundle_header &h) {
         h.segment_base_offset = kU64Max & ~uint64_t(YAN_BUNDLE_SEGMENT_ALIGNMENT - 1); }},
      {"file_size 2^64-1", [](yan_bundle_header &h) { h.file_size = kU64Max; }},
      {"file_size 0", [](yan_bundle_header &h) { h.file_size = 0; }},
      {"header_size 2^32-1", [](yan_bundle_header &h) { h.header_size = UINT32_MAX; }},
      {"signature_offset without version 2", [](yan_bundle_header &h) { h.signature_offset = 64; }},
      {"version 2, signature block outside", [](yan_bundle_header &h) {
         h.header_version = 2; h.flags = 1; h.signature_offset = kU64Max - 63; }},
  };
  for (const Case &c : cases) {
    std::vector<uint8_t> bytes = valid();
    yan_bundle_header h;
    std::memcpy(&h, bytes.data(), sizeof h);
    c.change(h);
    std::memcpy(bytes.data(), &h, sizeof h);
    size_t largest = 0;
    Status status = openAndCreate(bytes, &largest);
    EXPECT_TRUE(status.code() == YAN_STATUS_BAD_HEADER || status.code() == YAN_STATUS_TRUNCATED)
        << c.what << ": " << status.text();
    EXPECT_LE(largest, size_t(1) << 20) << c.what;
  }
}

} // namespace
