//===- thread_pool.cpp - A session's fixed worker threads -----------------===//
#include "thread_pool.h"

#include <new>
#include <sched.h>

namespace yan::rt {

namespace {
/// Rounds a thread watches an atomic before it sleeps (about 50-200 us
/// with the pause below, depending on the core).
constexpr uint32_t kHandOffSpins = 1u << 14;

/// Tells the core this is a spin loop (lets the sibling hyperthread run,
/// saves power); a no-op where the ISA has no hint.
inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Spins until `done()` holds or the budget is spent; returns done().
/// Every 256 rounds it yields the core, as the barrier does: with more
/// threads than cores, the thread it waits for may need this one's core.
template <typename Done> bool spinUntil(Done done) {
  for (uint32_t spins = 1; spins <= kHandOffSpins; ++spins) {
    if (done())
      return true;
    if (spins % 256 == 0)
      sched_yield();
    else
      cpuRelax();
  }
  return done();
}
} // namespace

size_t ThreadPool::bytesFor(uint32_t threads) {
  return sizeof(ThreadPool) + sizeof(pthread_t) * (threads > 0 ? threads - 1 : 0);
}

ThreadPool *ThreadPool::create(void *memory, uint32_t threads) {
  auto *pool = new (memory) ThreadPool();
  pool->count_ = threads < 1 ? 1 : threads;
  pool->workers_ = reinterpret_cast<pthread_t *>(static_cast<uint8_t *>(memory) +
                                                 sizeof(ThreadPool));
  pthread_mutex_init(&pool->mutex_, nullptr);
  pthread_cond_init(&pool->wake_, nullptr);
  pthread_cond_init(&pool->done_, nullptr);
  for (uint32_t i = 0; i + 1 < pool->count_; ++i) {
    if (pthread_create(&pool->workers_[i], nullptr, workerMain, pool) != 0) {
      pool->count_ = i + 1; // join the ones that started
      pool->destroy();
      return nullptr;
    }
  }
  return pool;
}

void ThreadPool::destroy() {
  pthread_mutex_lock(&mutex_);
  stopping_ = true;
  pthread_cond_broadcast(&wake_);
  pthread_mutex_unlock(&mutex_);
  for (uint32_t i = 0; i + 1 < count_; ++i)
    pthread_join(workers_[i], nullptr);
  pthread_cond_destroy(&done_);
  pthread_cond_destroy(&wake_);
  pthread_mutex_destroy(&mutex_);
  this->~ThreadPool();
}

void *ThreadPool::workerMain(void *self) {
  auto *pool = static_cast<ThreadPool *>(self);
  uint64_t seen = 0;
  while (true) {
    // Watch for the next job, then sleep. destroy() wakes only sleepers: a
    // spinning worker sees stopping_ once its budget is spent.
    spinUntil([&] { return pool->generation_.load(std::memory_order_acquire) != seen; });
    pthread_mutex_lock(&pool->mutex_);
    while (!pool->stopping_ && pool->generation_.load(std::memory_order_relaxed) == seen)
      pthread_cond_wait(&pool->wake_, &pool->mutex_);
    bool stopping = pool->stopping_;
    pthread_mutex_unlock(&pool->mutex_);
    if (stopping)
      return nullptr;
    // job_ and context_ were written before the generation was bumped (under
    // the mutex, acquired above); the next job waits for this one's pending_.
    seen = pool->generation_.load(std::memory_order_acquire);
    pool->job_(pool->context_, pool->nextIndex_.fetch_add(1, std::memory_order_relaxed));
    if (pool->pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // The caller may be asleep on done_: signal under the mutex, so it
      // cannot check pending_ and go to sleep between our store and signal.
      pthread_mutex_lock(&pool->mutex_);
      pthread_cond_signal(&pool->done_);
      pthread_mutex_unlock(&pool->mutex_);
    }
  }
}

void ThreadPool::run(void (*job)(void *, uint32_t), void *context) {
  if (count_ == 1) {
    job(context, 0);
    return;
  }
  pthread_mutex_lock(&mutex_);
  job_ = job;
  context_ = context;
  nextIndex_.store(1, std::memory_order_relaxed);
  pending_.store(count_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  pthread_cond_broadcast(&wake_);
  pthread_mutex_unlock(&mutex_);
  job(context, 0);
  if (spinUntil([&] { return pending_.load(std::memory_order_acquire) == 0; }))
    return;
  pthread_mutex_lock(&mutex_);
  while (pending_.load(std::memory_order_acquire) != 0)
    pthread_cond_wait(&done_, &mutex_);
  pthread_mutex_unlock(&mutex_);
}

void ThreadPool::barrier(void *self) {
  auto *pool = static_cast<ThreadPool *>(self);
  uint32_t phase = pool->phase_.load(std::memory_order_acquire);
  if (pool->arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == pool->count_) {
    pool->arrived_.store(0, std::memory_order_relaxed);
    pool->phase_.store(phase + 1, std::memory_order_release);
    return;
  }
  // Steps between barriers take microseconds to milliseconds: spin briefly,
  // then yield the core (there may be fewer cores than threads).
  for (uint32_t spins = 0; pool->phase_.load(std::memory_order_acquire) == phase; ++spins)
    if (spins > 256)
      sched_yield();
}

} // namespace yan::rt
