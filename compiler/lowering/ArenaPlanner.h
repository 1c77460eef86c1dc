//===- ArenaPlanner.h - Static scratch-arena planning ------------*- C++ -*-===//
//
// Every intermediate buffer of an entry point lives in one scratch arena that
// the runtime allocates once per session. The planner gives each buffer an
// offset so that buffers whose lifetimes overlap never share bytes, reusing
// space first-fit once a buffer is dead. The plan is static: the arena size is
// known at compile time and recorded in the bundle.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_LOWERING_ARENAPLANNER_H
#define YAN_COMPILER_LOWERING_ARENAPLANNER_H

#include <cstdint>
#include <vector>

namespace yan {

class ArenaPlanner {
public:
  /// All offsets are multiples of `alignment` (a power of two).
  explicit ArenaPlanner(int64_t alignment = 64) : alignment(alignment) {}

  /// Reserves `bytes` and returns its offset.
  int64_t allocate(int64_t bytes);
  /// Returns the block at `offset` to the free space.
  void release(int64_t offset);
  /// Peak bytes ever in use: the arena size to allocate.
  int64_t size() const { return peak; }

private:
  struct Block {
    int64_t offset;
    int64_t bytes;
  };
  int64_t alignment;
  int64_t peak = 0;
  std::vector<Block> live; // sorted by offset
};

} // namespace yan

#endif // YAN_COMPILER_LOWERING_ARENAPLANNER_H
