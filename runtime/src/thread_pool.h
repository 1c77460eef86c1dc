//===- thread_pool.h - A session's fixed worker threads ---------*- C++ -*-===//
//
// Generated entry points are run SPMD: every thread calls the same entry with
// its own thread_index and meets the others at barriers
// (executable_abi.h). The pool owns thread_count - 1 workers (the caller is
// thread 0), created once with the session; running an entry allocates
// nothing and takes no lock on the fast path of a barrier.
//
// Hand-off spins before it sleeps: a decode loop runs one job per token,
// a fraction of a millisecond apart, and waking a thread that sleeps on a
// condition variable costs tens of microseconds on a VM. A worker that
// finished a job watches for the next one for kHandOffSpins rounds before
// it sleeps; the caller watches for the workers to finish the same way.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_RUNTIME_THREAD_POOL_H
#define YAN_RUNTIME_THREAD_POOL_H

#include <atomic>
#include <cstdint>
#include <pthread.h>

namespace yan::rt {

class ThreadPool {
public:
  /// Bytes to reserve for a pool of `threads` (the pool lives inside the
  /// session's one allocation).
  static size_t bytesFor(uint32_t threads);
  /// Constructs the pool in `memory` and starts threads - 1 workers; on
  /// failure returns nullptr and leaves nothing running.
  static ThreadPool *create(void *memory, uint32_t threads);
  /// Stops and joins the workers.
  void destroy();

  uint32_t threads() const { return count_; }

  /// Runs job(context, index) on every thread, index 0 on the caller;
  /// returns when all have returned.
  void run(void (*job)(void *context, uint32_t index), void *context);

  /// The ABI's barrier (yan_barrier_fn_v2): `pool` is a ThreadPool.
  static void barrier(void *pool);

private:
  static void *workerMain(void *self);

  uint32_t count_ = 1;
  pthread_t *workers_ = nullptr; // count_ - 1, inside the same allocation
  pthread_mutex_t mutex_;
  pthread_cond_t wake_;
  pthread_cond_t done_;
  /// Bumped per job, under mutex_ (so a worker about to sleep cannot miss
  /// it); read without the lock by spinning workers.
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint32_t> pending_{0}; // workers still running the job
  bool stopping_ = false;
  void (*job_)(void *, uint32_t) = nullptr;
  void *context_ = nullptr;
  std::atomic<uint32_t> nextIndex_{1};
  // Barrier: the last thread to arrive bumps the phase.
  std::atomic<uint32_t> arrived_{0};
  std::atomic<uint32_t> phase_{0};
};

} // namespace yan::rt

#endif // YAN_RUNTIME_THREAD_POOL_H
