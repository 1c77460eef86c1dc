//===- BundleRoundTripTest.cpp - Writer -> runtime reader -----------------===//
//
// What the writer puts in, the runtime's accessors give back; the layout
// helpers agree with what the runtime verifies.
//
//===----------------------------------------------------------------------===//
#include "Fixture.h"

#include "compiler/import/ConvertWeights.h"
#include "compiler/import/QuantFormats.h"
#include "compiler/import/RandomModel.h"
#include "compiler/layout/StateLayout.h"
#include "compiler/layout/WeightLayout.h"
#include "yan/bundle_format.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "gtest/gtest.h"

#include <cstdio>
#include <cstring>

using namespace yan;
using namespace yan::test;

namespace {

TEST(WeightLayout, CanonicalOrderAlignedAndPartitioned) {
  const Checkpoint &checkpoint = fixtureCheckpoint();
  WeightLayout layout = llvm::cantFail(computeWeightLayout(checkpoint));
  std::vector<ExpectedTensor> expected = expectedTensors(checkpoint.config);
  ASSERT_EQ(layout.weights.size(), expected.size());
  uint64_t end = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const WeightPlacement &w = layout.weights[i];
    EXPECT_EQ(w.name, expected[i].name);
    EXPECT_EQ(w.shape, expected[i].shape);
    EXPECT_EQ(w.offset % 64, 0u) << w.name;
    EXPECT_GE(w.offset, end) << w.name;
    end = w.offset + w.size;
    bool partitioned = isPartitionedWeight(w.name);
    EXPECT_EQ(w.numPartitions, partitioned ? 4 : 1) << w.name;
    EXPECT_EQ(w.partitionStride, w.partitionBytes) << w.name; // packed by default
  }
  EXPECT_EQ(layout.segmentSize, end);
  EXPECT_TRUE(isPartitionedWeight("layers.12.ffn.w3"));
  EXPECT_FALSE(isPartitionedWeight("layers.x.ffn.w3"));
  EXPECT_FALSE(isPartitionedWeight("layers.0.router.weight"));
}

TEST(WeightLayout, PartitionAlignmentPadsEachPartition) {
  WeightLayoutOptions options;
  options.partitionAlignment = 4096;
  WeightLayout layout = llvm::cantFail(computeWeightLayout(fixtureCheckpoint(), options));
  const WeightPlacement *w1 = layout.find("layers.1.ffn.w1");
  ASSERT_TRUE(w1);
  EXPECT_EQ(w1->offset % 4096, 0u);
  EXPECT_EQ(w1->partitionStride, 4096u);
  EXPECT_EQ(w1->size, 3 * 4096u + w1->partitionBytes);
  options.partitionAlignment = 3000;
  EXPECT_TRUE(
      llvm::errorToBool(computeWeightLayout(fixtureCheckpoint(), options).takeError()));
}

TEST(StateLayout, FlatPerLayerHThenHistory) {
  StateLayout state = computeStateLayout(fixtureConfig());
  ASSERT_EQ(state.layers.size(), 2u);
  EXPECT_EQ(state.layers[1].hOffset, 24u);
  EXPECT_EQ(state.layers[1].uHistOffset, 32u);
  EXPECT_EQ(state.layers[1].uHistShape, (std::vector<int64_t>{2, 8}));
  EXPECT_EQ(state.stateFloats, kFixtureStateFloats);
}

TEST(BundleRoundTrip, FileHeaderAndSegmentsAreLaidOut) {
  FixtureBundle fixture = fixtureBundle(hostFixtureImage());
  std::vector<uint8_t> bytes = bundleBytes(fixture.contents);
  ASSERT_GE(bytes.size(), 64u);
  yan_bundle_header header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  EXPECT_EQ(std::memcmp(header.magic, "YANBNDL\0", 8), 0);
  EXPECT_EQ(header.flatbuffer_offset, 64u);
  EXPECT_EQ(header.segment_base_offset % 16384, 0u);
  EXPECT_EQ(header.file_size, bytes.size());
  EXPECT_EQ(std::memcmp(bytes.data() + 64 + 4, "YANB", 4), 0);
}

TEST(BundleRoundTrip, WritingIsDeterministic) {
  FixtureBundle fixture = fixtureBundle(hostFixtureImage());
  EXPECT_EQ(bundleBytes(fixture.contents), bundleBytes(fixture.contents));
  // And through a file, atomically replaced.
  std::string path = temporaryPath(".yanb");
  ASSERT_FALSE(writeBundle(path, fixture.contents));
  ASSERT_FALSE(writeBundle(path, fixture.contents));
  auto buffer = llvm::MemoryBuffer::getFile(path, false, false);
  ASSERT_TRUE(buffer);
  std::vector<uint8_t> onDisk((*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
  EXPECT_EQ(onDisk, bundleBytes(fixture.contents));
  llvm::sys::fs::remove(path);
}

TEST(BundleRoundTrip, AccessorsReturnWhatWasWritten) {
  WeightLayoutOptions options;
  options.partitionAlignment = 4096; // exercise padded partitions end to end
  FixtureBundle fixture = fixtureBundle(hostFixtureImage(), options);
  std::string path = temporaryPath(".yanb");
  ASSERT_FALSE(writeBundle(path, fixture.contents));
  BundlePtr bundle;
  Status status = openFile(path, bundle);
  ASSERT_TRUE(status.ok()) << status.text();

  yan_model_config_t config;
  yan_bundle_config(bundle.get(), &config);
  const ModelConfig &want = fixture.contents.config;
  EXPECT_EQ(config.vocab_size, want.vocabSize);
  EXPECT_EQ(config.hidden_size, want.hiddenSize);
  EXPECT_EQ(config.num_layers, want.numLayers);
  EXPECT_EQ(config.num_channels, want.numChannels);
  EXPECT_EQ(config.slope_window, want.slopeWindow);
  EXPECT_EQ(config.num_partitions, want.numPartitions);
  EXPECT_EQ(config.active_partitions, want.activePartitions);
  EXPECT_EQ(config.partition_size, want.partitionSize);
  EXPECT_EQ(config.norm_eps, want.normEps);
  for (int c = 0; c < want.numChannels; ++c) {
    EXPECT_EQ(config.decays[c], want.decays[c]);
    EXPECT_EQ(config.slopes[c], want.slopes[c]);
  }
  EXPECT_STREQ(yan_bundle_compiler_version(bundle.get()), "yanc-test-fixture 0");

  ASSERT_EQ(yan_bundle_code_image_count(bundle.get()), 1u);
  yan_code_image_info_t image;
  ASSERT_TRUE(Status(yan_bundle_code_image_info(bundle.get(), 0, &image)).ok());
  EXPECT_EQ(image.arch, yan_host_arch());
  EXPECT_EQ(image.abi_version, YAN_EXECUTABLE_ABI_VERSION);
  EXPECT_EQ(image.entry_count, 2u);
  EXPECT_STREQ(image.cpu, "generic");
  yan_entry_info_t entry;
  ASSERT_TRUE(Status(yan_bundle_entry_info(bundle.get(), YAN_ENTRY_PREFILL, &entry)).ok());
  EXPECT_STREQ(entry.name, "prefill");
  EXPECT_EQ(entry.max_tokens, kFixturePrefillMax);
  EXPECT_EQ(entry.arena_bytes, 256u);
  ASSERT_TRUE(Status(yan_bundle_entry_info(bundle.get(), YAN_ENTRY_DECODE, &entry)).ok());
  EXPECT_STREQ(entry.name, "decode");
  EXPECT_EQ(Status(yan_bundle_entry_info(bundle.get(), 9, &entry)).code(),
            YAN_STATUS_OUT_OF_RANGE);

  ASSERT_EQ(yan_bundle_segment_count(bundle.get()), 3u); // code, weights, test data
  yan_segment_info_t segment;
  yan_segment_kind_t kinds[] = {YAN_SEGMENT_CODE, YAN_SEGMENT_WEIGHTS, YAN_SEGMENT_TEST_DATA};
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(Status(yan_bundle_segment_info(bundle.get(), i, &segment)).ok());
    EXPECT_EQ(segment.kind, kinds[i]);
    EXPECT_EQ(segment.file_offset % 16384, 0u);
    EXPECT_TRUE(segment.hash_verified);
  }
  EXPECT_EQ(Status(yan_bundle_segment_info(bundle.get(), 3, &segment)).code(),
            YAN_STATUS_OUT_OF_RANGE);

  ASSERT_EQ(yan_bundle_weight_count(bundle.get()), fixture.layout.weights.size());
  for (size_t i = 0; i < fixture.layout.weights.size(); ++i) {
    const WeightPlacement &w = fixture.layout.weights[i];
    yan_weight_info_t info;
    ASSERT_TRUE(Status(yan_bundle_weight_info(bundle.get(), i, &info)).ok());
    EXPECT_EQ(info.name, w.name);
    EXPECT_EQ(info.dtype, YAN_DTYPE_F32);
    ASSERT_EQ(info.rank, w.shape.size());
    for (uint32_t d = 0; d < info.rank; ++d)
      EXPECT_EQ(info.shape[d], w.shape[d]);
    EXPECT_EQ(info.offset, w.offset);
    EXPECT_EQ(info.size, w.size);
    EXPECT_EQ(info.num_partitions, w.numPartitions);
    EXPECT_EQ(info.partition_stride, w.partitionStride);
  }
  EXPECT_EQ(yan_bundle_state_floats(bundle.get()), kFixtureStateFloats);

  ASSERT_EQ(yan_bundle_test_vector_count(bundle.get()), 1u);
  yan_test_vector_t vector;
  ASSERT_TRUE(Status(yan_bundle_test_vector(bundle.get(), 0, &vector)).ok());
  const BundleTestVector &t = fixture.contents.testVectors[0];
  EXPECT_STREQ(vector.name, "fixture-greedy");
  EXPECT_EQ(std::vector<int32_t>(vector.prompt, vector.prompt + vector.prompt_length), t.prompt);
  EXPECT_EQ(std::vector<int32_t>(vector.generated, vector.generated + vector.generated_length),
            t.generated);
  EXPECT_EQ(vector.next_token, t.nextToken);
  EXPECT_EQ(std::vector<float>(vector.expected_logits,
                               vector.expected_logits + t.expectedLogits.size()),
            t.expectedLogits);
  ASSERT_TRUE(vector.prefill_state && vector.final_state);
  EXPECT_EQ(vector.final_state[kFixtureStateFloats - 1], 6.0f);
  llvm::sys::fs::remove(path);
}

TEST(BundleRoundTrip, WeightsAreCopiedPartitionByPartition) {
  WeightLayoutOptions options;
  options.partitionAlignment = 4096;
  FixtureBundle fixture = fixtureBundle(hostFixtureImage(), options);
  std::vector<uint8_t> bytes = bundleBytes(fixture.contents);
  yan_bundle_header header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  // The weight segment is the second one, right after the code image.
  AlignedBytes aligned(bytes);
  BundlePtr bundle;
  ASSERT_TRUE(openMemory(aligned, bundle).ok());
  yan_segment_info_t segment;
  ASSERT_TRUE(Status(yan_bundle_segment_info(bundle.get(), 1, &segment)).ok());
  const uint8_t *weights = bytes.data() + segment.file_offset;
  const WeightPlacement *w2 = fixture.layout.find("layers.0.ffn.w2");
  llvm::ArrayRef<uint8_t> source = fixtureCheckpoint().tensor("layers.0.ffn.w2").bytes;
  for (int64_t p = 0; p < w2->numPartitions; ++p)
    EXPECT_EQ(std::memcmp(weights + w2->offset + p * w2->partitionStride,
                          source.data() + p * w2->partitionBytes, w2->partitionBytes),
              0)
        << "partition " << p;
}

// yanc --weights int8/int4: the writer streams each partition's slabs from
// the mapped checkpoint, quantized on the way; the bundle holds exactly
// QuantFormats' slabs at the layout's page-aligned offsets, the norms f32.
TEST(BundleRoundTrip, QuantizedWeightsAreTheirSlabsPartitionByPartition) {
  for (const char *format : {"int8", "int4"}) {
    Checkpoint checkpoint = randomCheckpoint(fixtureConfig(), 7);
    llvm::cantFail(selectWeightFormats(checkpoint, format, "router"));
    WeightLayoutOptions options;
    options.partitionAlignment = 4096;
    FixtureBundle fixture =
        fixtureBundleFor(checkpoint, fixtureConfig(), hostFixtureImage(), options);
    std::vector<uint8_t> bytes = bundleBytes(fixture.contents);
    AlignedBytes aligned(bytes);
    BundlePtr bundle;
    ASSERT_TRUE(openMemory(aligned, bundle).ok()) << format;
    const uint8_t *segment = yan_bundle_weight_segment(bundle.get());
    QuantFormat quant = *parseQuantFormat(format);
    yan_dtype_t expectedDtype = quant == QuantFormat::Int8 ? YAN_DTYPE_INT8 : YAN_DTYPE_INT4;
    for (size_t i = 0; i < fixture.layout.weights.size(); ++i) {
      const WeightPlacement &w = fixture.layout.weights[i];
      const TensorView &tensor = checkpoint.tensor(w.name);
      yan_weight_info_t info;
      ASSERT_TRUE(Status(yan_bundle_weight_info(bundle.get(), i, &info)).ok());
      bool matrix = w.shape.size() >= 2 && w.name.find("router") == std::string::npos;
      EXPECT_EQ(info.dtype, matrix ? expectedDtype : YAN_DTYPE_F32) << w.name;
      EXPECT_EQ(info.size, w.size) << w.name;
      if (!matrix) {
        EXPECT_EQ(std::memcmp(segment + w.offset, tensor.bytes.data(), tensor.bytes.size()), 0)
            << w.name;
        continue;
      }
      std::vector<float> values(tensor.numElements());
      for (size_t e = 0; e < values.size(); ++e)
        values[e] = tensorElement(tensor, e);
      std::vector<uint8_t> slabs = llvm::cantFail(quantizeTensor(quant, w.name, values, w.shape));
      ASSERT_EQ(slabs.size(), w.partitionBytes * w.numPartitions) << w.name;
      for (int64_t p = 0; p < w.numPartitions; ++p) {
        uint64_t at = w.offset + p * w.partitionStride;
        if (w.numPartitions > 1)
          EXPECT_EQ(at % 4096, 0u) << w.name << " partition " << p;
        EXPECT_EQ(std::memcmp(segment + at, slabs.data() + p * w.partitionBytes,
                              w.partitionBytes),
                  0)
            << format << " " << w.name << " partition " << p;
      }
    }
  }
}

// Issue 13's size target for the `small` preset: an int4 bundle at most
// 0.16x the f32 one, int8 at most 0.28x. The weights are the bundle (the
// code image and table of contents are well under 1 MiB, counted here in
// the quantized bundles only); the layout is the compiler's, partitions on
// AArch64's 16 KiB pages (the largest padding any target asks for).
TEST(WeightLayout, SmallQuantizedBundleSizeRatios) {
  ModelConfig config = llvm::cantFail(presetConfig("small"));
  auto segmentBytes = [&](std::optional<WeightFormat> format) {
    std::vector<WeightSpec> specs;
    for (const ExpectedTensor &t : expectedTensors(config)) {
      WeightFormat own = storedFormatFor(format, DType::F32, t.shape.size(), false);
      specs.push_back({t.name, own.dtype, t.shape,
                       isPartitionedWeight(t.name) ? config.numPartitions : 1, own.quant});
    }
    WeightLayoutOptions options;
    options.partitionAlignment = 16384;
    return double(llvm::cantFail(computeWeightLayout(specs, options)).segmentSize);
  };
  double f32 = segmentBytes(std::nullopt);
  double overhead = 1 << 20;
  double int8 = segmentBytes(WeightFormat{DType::F32, QuantFormat::Int8}) + overhead;
  double int4 = segmentBytes(WeightFormat{DType::F32, QuantFormat::Int4}) + overhead;
  EXPECT_GT(f32, 8.0e8); // small: about 856 MB of f32 weights
  EXPECT_LE(int8 / f32, 0.28) << int8 << " / " << f32;
  EXPECT_LE(int4 / f32, 0.16) << int4 << " / " << f32;
  std::printf("small: int8 %.4fx, int4 %.4fx of f32 (%.0f bytes)\n", int8 / f32, int4 / f32,
              f32);
}

TEST(BundleWriter, RejectsInconsistentContents) {
  FixtureBundle fixture = fixtureBundle(hostFixtureImage());
  BundleContents c = fixture.contents;
  std::swap(c.weights[1].offset, c.weights[2].offset);
  std::string text;
  llvm::raw_string_ostream os(text);
  EXPECT_TRUE(llvm::errorToBool(writeBundle(os, c)));

  c = fixture.contents;
  c.testVectors[0].expectedLogits.pop_back();
  EXPECT_TRUE(llvm::errorToBool(writeBundle(os, c)));

  c = fixture.contents;
  c.codeImages[0].bytes = {};
  EXPECT_TRUE(llvm::errorToBool(writeBundle(os, c)));

  c = fixture.contents;
  c.codeImages[0].arch = Arch::unknown;
  EXPECT_TRUE(llvm::errorToBool(writeBundle(os, c)));
}

} // namespace
