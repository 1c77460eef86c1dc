//===- make_delta_seeds.cpp - Seed deltas for fuzz-delta ------------------===//
//
//   make-delta-seeds BASE.yanb OUT_DIR
//
// Writes deltas for BASE with the tests' own format writer (DeltaSupport):
// empty, SGD without and with momentum, AdamW, and a mix over every
// partition. Bytes are deterministic.
//
//===----------------------------------------------------------------------===//
#include "DeltaSupport.h"

#include <cstdio>
#include <string>

using namespace yan::test;

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make-delta-seeds BASE.yanb OUT_DIR\n");
    return 2;
  }
  yan_bundle_t *bundle = nullptr;
  yan_bundle_open_options_t options = {};
  options.flags = YAN_BUNDLE_OPEN_NO_CODE;
  if (yan_status_t status =
          yan_bundle_open_file(argv[1], &options, yan_allocator_system(), &bundle)) {
    std::fprintf(stderr, "make-delta-seeds: %s\n", yan_status_message(status));
    return 1;
  }
  DeltaModel m = DeltaModel::of(bundle);
  std::string dir = argv[2];
  writeFileBytes(dir + "/empty.yand", buildDelta(m, {}));
  writeFileBytes(dir + "/sgd.yand",
                 buildDelta(m, {randomRecord(m, 0, 0, YAN_LEARN_SGD, 1, false, 1)}));
  writeFileBytes(dir + "/sgd-momentum.yand",
                 buildDelta(m, {randomRecord(m, 0, 1 % int32_t(m.partitions), YAN_LEARN_SGD,
                                             4, true, 2)}));
  writeFileBytes(dir + "/adamw.yand",
                 buildDelta(m, {randomRecord(m, 0, 0, YAN_LEARN_ADAMW, 3, true, 3)}));
  std::vector<DeltaRecord> all;
  for (int32_t l = 0; l < m.layers; ++l)
    for (int32_t p = 0; p < m.partitions; ++p)
      all.push_back(randomRecord(m, l, p, (l + p) % 2 ? YAN_LEARN_ADAMW : YAN_LEARN_SGD,
                                 1 + l + p, p % 3 == 0, 10 + l * 100 + p));
  writeFileBytes(dir + "/all-partitions.yand", buildDelta(m, all));
  yan_bundle_release(bundle);
  return 0;
}
