//===- ArenaPlanner.cpp - Static scratch-arena planning -------------------===//
#include "compiler/lowering/ArenaPlanner.h"

#include <algorithm>
#include <cassert>

namespace yan {

int64_t ArenaPlanner::allocate(int64_t bytes) {
  int64_t size = (std::max<int64_t>(bytes, 1) + alignment - 1) / alignment *
                 alignment;
  // First fit: the lowest gap between live blocks that holds `size`.
  int64_t candidate = 0;
  auto it = live.begin();
  for (; it != live.end(); ++it) {
    if (it->offset - candidate >= size)
      break;
    candidate = std::max(candidate, it->offset + it->bytes);
  }
  live.insert(it, Block{candidate, size});
  peak = std::max(peak, candidate + size);
  return candidate;
}

void ArenaPlanner::release(int64_t offset) {
  auto it = std::find_if(live.begin(), live.end(),
                         [&](const Block &b) { return b.offset == offset; });
  assert(it != live.end() && "releasing a block that is not live");
  live.erase(it);
}

} // namespace yan
