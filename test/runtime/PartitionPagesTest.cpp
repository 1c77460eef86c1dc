//===- PartitionPagesTest.cpp - Unrouted partitions are never read --------===//
//
// The point of partition activation: a decode token reads the dense weights
// and only its k routed partitions of each FFN weight. On a bundle compiled
// with page-aligned partitions (the ctest fixture `compiled-mid-bundle`,
// path in YAN_TEST_BUNDLE), after evicting the file from the page cache and
// running decode steps, mincore() must report no resident page in any
// partition that the session's routing counters say was never routed to.
//
// And the copy-on-write overlay of learning: after learn steps, the pages of
// the bundle's mapping that became private (copied by the kernel on write)
// are exactly the pages of the trained partitions.
//
//===----------------------------------------------------------------------===//
#include "PageResidency.h"
#include "yan/runtime.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using yan::test::evictFromPageCache;
using yan::test::residentPages;

TEST(PartitionPages, UnroutedPartitionsAreNeverResident) {
  const char *path = std::getenv("YAN_TEST_BUNDLE");
  ASSERT_NE(path, nullptr) << "YAN_TEST_BUNDLE must name a compiled bundle";
  evictFromPageCache(path);

  // Open without hashing the weights (hashing reads them all).
  yan_bundle_open_options_t options{YAN_BUNDLE_OPEN_SKIP_DATA_HASHES};
  yan_bundle_t *bundle = nullptr;
  ASSERT_EQ(yan_bundle_open_file(path, &options, yan_allocator_system(), &bundle), nullptr);
  yan_model_config_t config;
  yan_bundle_config(bundle, &config);
  yan_session_t *session = nullptr;
  ASSERT_EQ(yan_session_create(bundle, nullptr, &session), nullptr);
  std::vector<float> logits(config.vocab_size);
  int32_t token = 7;
  ASSERT_EQ(yan_session_decode(session, token, logits.data()), nullptr);
  for (int step = 0; step < 2; ++step) {
    token = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) -
                                 logits.begin());
    ASSERT_EQ(yan_session_decode(session, token, logits.data()), nullptr);
  }
  yan_session_stats_t stats;
  yan_session_stats(session, &stats);

  // Where the weight segment sits in the file.
  uint64_t segmentOffset = 0;
  for (size_t i = 0; i < yan_bundle_segment_count(bundle); ++i) {
    yan_segment_info_t segment;
    ASSERT_EQ(yan_bundle_segment_info(bundle, i, &segment), nullptr);
    if (segment.kind == YAN_SEGMENT_WEIGHTS)
      segmentOffset = segment.file_offset;
  }
  ASSERT_GT(segmentOffset, 0u);

  yan::test::FileMapping mapping(path);
  ASSERT_TRUE(mapping.ok()) << path;
  const uint8_t *file = mapping.data();
  long page = ::sysconf(_SC_PAGESIZE);

  size_t checkedUnrouted = 0, residentRouted = 0;
  for (size_t w = 0; w < yan_bundle_weight_count(bundle); ++w) {
    yan_weight_info_t weight;
    ASSERT_EQ(yan_bundle_weight_info(bundle, w, &weight), nullptr);
    std::string name = weight.name;
    if (weight.num_partitions <= 1 || name.find(".ffn.w") == std::string::npos)
      continue;
    ASSERT_EQ(weight.partition_stride % page, 0u) << name << ": partitions not page-aligned";
    int64_t layer = std::stoll(name.substr(std::strlen("layers.")));
    uint64_t partitionBytes = weight.size - (weight.num_partitions - 1) * weight.partition_stride;
    for (int64_t p = 0; p < weight.num_partitions; ++p) {
      uint64_t offset = segmentOffset + weight.offset + p * weight.partition_stride;
      size_t resident = residentPages(file, offset, partitionBytes, page);
      if (stats.partition_tokens[layer * stats.num_partitions + p] == 0) {
        EXPECT_EQ(resident, 0u) << name << " partition " << p
                                << " was never routed to but has resident pages";
        ++checkedUnrouted;
      } else if (resident > 0) {
        ++residentRouted;
      }
    }
  }
  // The test means something only if some partitions were skipped and the
  // routed ones were really read.
  EXPECT_GT(checkedUnrouted, 0u);
  EXPECT_GT(residentRouted, 0u);
  yan_session_destroy(session);
  yan_bundle_release(bundle);
}

/// kB of anonymous memory (pages copied on write, for a private file
/// mapping) in the mappings of /proc/self/smaps that overlap [begin, end).
long anonymousKiB(uintptr_t begin, uintptr_t end) {
  FILE *smaps = std::fopen("/proc/self/smaps", "r");
  EXPECT_NE(smaps, nullptr);
  if (!smaps)
    return -1;
  char line[512];
  bool inside = false;
  long total = 0;
  while (std::fgets(line, sizeof line, smaps)) {
    unsigned long from, to;
    long kib;
    // Mapping lines start "from-to perms ..."; field lines "Name: value".
    if (std::sscanf(line, "%lx-%lx ", &from, &to) == 2)
      inside = from < end && to > begin;
    else if (inside && std::sscanf(line, "Anonymous: %ld kB", &kib) == 1)
      total += kib;
  }
  std::fclose(smaps);
  return total;
}

TEST(PartitionPages, LearningCopiesExactlyTheTrainedPartitions) {
  const char *path = std::getenv("YAN_TEST_BUNDLE");
  ASSERT_NE(path, nullptr);
  yan_bundle_open_options_t options{YAN_BUNDLE_OPEN_SKIP_DATA_HASHES};
  yan_bundle_t *bundle = nullptr;
  ASSERT_EQ(yan_bundle_open_file(path, &options, yan_allocator_system(), &bundle), nullptr);
  yan_bundle_learn_info_t info;
  yan_bundle_learn_info(bundle, &info);
  if (!info.has_learn) {
    yan_bundle_release(bundle);
    GTEST_SKIP() << "the bundle has no learn entries";
  }
  yan_model_config_t config;
  yan_bundle_config(bundle, &config);
  uint64_t segmentSize = 0;
  for (size_t i = 0; i < yan_bundle_segment_count(bundle); ++i) {
    yan_segment_info_t segment;
    ASSERT_EQ(yan_bundle_segment_info(bundle, i, &segment), nullptr);
    if (segment.kind == YAN_SEGMENT_WEIGHTS)
      segmentSize = segment.size;
  }
  auto begin = reinterpret_cast<uintptr_t>(yan_bundle_weight_segment(bundle));
  ASSERT_EQ(anonymousKiB(begin, begin + segmentSize), 0);

  yan_session_t *session = nullptr;
  ASSERT_EQ(yan_session_create(bundle, nullptr, &session), nullptr);
  struct Trained {
    std::set<std::pair<int64_t, int32_t>> partitions;
  } trained;
  yan_learn_options_t learn{};
  learn.steps = 2;
  learn.on_step_user = &trained;
  learn.on_step = [](void *user, const yan_learn_step_t *step) {
    for (int64_t slot = 0; slot < step->num_layers * step->slots_per_layer; ++slot)
      if (step->chosen[slot] >= 0)
        static_cast<Trained *>(user)->partitions.insert(
            {slot / step->slots_per_layer, step->chosen[slot]});
  };
  std::vector<int32_t> tokens;
  for (int32_t t = 0; t < 24; ++t)
    tokens.push_back((t * 37 + 11) % static_cast<int32_t>(config.vocab_size));
  yan_learn_result_t result;
  yan_status_t status = yan_session_learn(session, tokens.data(), tokens.size(), &learn, &result);
  ASSERT_EQ(status, nullptr) << yan_status_message(status);
  ASSERT_FALSE(trained.partitions.empty());
  // Partitions are page-aligned and a page multiple (1 MiB) here: w1, w3
  // and w2 of every trained partition, nothing else.
  long page = ::sysconf(_SC_PAGESIZE);
  uint64_t partitionBytes =
      uint64_t(config.partition_size) * uint64_t(config.hidden_size) * sizeof(float);
  ASSERT_EQ(partitionBytes % page, 0u);
  long expectedKiB = static_cast<long>(trained.partitions.size() * 3 * partitionBytes / 1024);
  EXPECT_EQ(anonymousKiB(begin, begin + segmentSize), expectedKiB)
      << trained.partitions.size() << " partitions trained";
  yan_session_destroy(session);
  yan_bundle_release(bundle);
}

} // namespace
