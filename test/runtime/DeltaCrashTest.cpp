//===- DeltaCrashTest.cpp - SIGKILL while saving deltas -------------------===//
//
// Crash safety of yan_bundle_save_delta: a child process saves two different
// learned states A and B to one path, alternately, as fast as it can; the
// parent kills it with SIGKILL after a random delay, at least 100 times, and
// after every kill checks that the path holds exactly A or exactly B (or
// nothing, before the first save completed) and that it verifies. The
// deltas are megabytes, so kills land while data is being written, while it
// is being synced and between saves; the test checks that some kills did
// leave a temporary file behind (killed mid-save).
//
//===----------------------------------------------------------------------===//
#include "DeltaSupport.h"
#include "Fixture.h"

#include "gtest/gtest.h"

#include <chrono>
#include <csignal>
#include <dirent.h>
#include <random>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace yan::test;

namespace {

double seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Removes PATH.tmp-* leftovers of killed saves; returns how many there were.
int removeTemporaries(const std::string &path) {
  std::string dir = path.substr(0, path.rfind('/'));
  std::string stem = path.substr(path.rfind('/') + 1) + ".tmp-";
  int count = 0;
  DIR *d = ::opendir(dir.c_str());
  if (!d)
    return 0;
  while (dirent *e = ::readdir(d))
    if (std::string(e->d_name).rfind(stem, 0) == 0) {
      ::unlink((dir + "/" + e->d_name).c_str());
      ++count;
    }
  ::closedir(d);
  return count;
}

TEST(DeltaCrash, SigkillWhileSavingLeavesTheOldOrTheNewDelta) {
  // The fixture's config with big partitions (F = 1024: 32 KiB per
  // partition per tensor), so a delta is megabytes.
  yan::ModelConfig config = fixtureConfig();
  config.partitionSize = 1024;
  static const yan::Checkpoint checkpoint = randomCheckpoint(config, 3);
  std::string bundlePath = temporaryPath(".yanb");
  writeFileBytes(bundlePath,
                 bundleBytes(fixtureBundleFor(checkpoint, config, hostFixtureImage()).contents));
  BundlePtr a, b;
  ASSERT_TRUE(openFile(bundlePath, a).ok());
  ASSERT_TRUE(openFile(bundlePath, b).ok());
  DeltaModel m = DeltaModel::of(a.get());
  // A: every partition, AdamW (2.3 MiB); B: four, SGD with momentum.
  std::vector<DeltaRecord> recordsA, recordsB;
  for (int32_t l = 0; l < 2; ++l)
    for (int32_t p = 0; p < 4; ++p) {
      recordsA.push_back(randomRecord(m, l, p, YAN_LEARN_ADAMW, 5, true, 100 + l * 4 + p));
      if (p % 2 == l % 2)
        recordsB.push_back(randomRecord(m, l, p, YAN_LEARN_SGD, 2, true, 200 + l * 4 + p));
    }
  const std::vector<uint8_t> deltaA = buildDelta(m, recordsA), deltaB = buildDelta(m, recordsB);
  ASSERT_TRUE(Status(yan_bundle_apply_delta_memory(a.get(), deltaA.data(), deltaA.size())).ok());
  ASSERT_TRUE(Status(yan_bundle_apply_delta_memory(b.get(), deltaB.data(), deltaB.size())).ok());

  std::string path = temporaryPath(".yand");
  // How long one save of A and one of B take here, to spread kills over it.
  double start = seconds();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Status(yan_bundle_save_delta(a.get(), path.c_str())).ok());
    ASSERT_TRUE(Status(yan_bundle_save_delta(b.get(), path.c_str())).ok());
  }
  double cycle = (seconds() - start) / 3;
  ASSERT_EQ(readFileBytes(path), deltaB); // saving is canonical: B's bytes
  ::unlink(path.c_str());

  std::mt19937 random(12345);
  std::uniform_real_distribution<double> delay(0.0, 1.5 * cycle);
  int seenA = 0, seenB = 0, absent = 0, midSave = 0;
  bool present = false;
  constexpr int kKills = 100;
  for (int kill = 0; kill < kKills; ++kill) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (;;) {
        for (yan_bundle_t *bundle : {a.get(), b.get()}) {
          yan_status_t status = yan_bundle_save_delta(bundle, path.c_str());
          if (status)
            ::_exit(3);
        }
      }
    }
    // The first kills come early, before any save can have completed.
    double wait = kill < 3 ? 1e-4 * kill : delay(random);
    ::usleep(static_cast<useconds_t>(wait * 1e6));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the saving child failed on its own (status " << status << ")";
    midSave += removeTemporaries(path) > 0;

    struct stat info;
    if (::stat(path.c_str(), &info) != 0) {
      ASSERT_FALSE(present) << "kill " << kill << ": the delta disappeared";
      ++absent;
      continue;
    }
    present = true;
    std::vector<uint8_t> bytes = readFileBytes(path);
    bool isA = bytes == deltaA, isB = bytes == deltaB;
    ASSERT_TRUE(isA || isB) << "kill " << kill << " after " << wait * 1e3
                            << " ms: the delta on disk (" << bytes.size()
                            << " bytes) is neither A (" << deltaA.size() << ") nor B ("
                            << deltaB.size() << ")";
    seenA += isA;
    seenB += isB;
    if (kill % 10 == 0) { // and it verifies (what equality already implies)
      BundlePtr fresh;
      ASSERT_TRUE(openFile(bundlePath, fresh, YAN_BUNDLE_OPEN_SKIP_DATA_HASHES).ok());
      Status applied = yan_bundle_apply_delta(fresh.get(), path.c_str());
      ASSERT_TRUE(applied.ok()) << applied.text();
    }
  }
  std::printf("delta crash test: %d kills (one save of A and B: %.1f ms): %d A, %d B, %d "
              "absent, %d killed mid-save\n",
              kKills, cycle * 1e3, seenA, seenB, absent, midSave);
  EXPECT_GT(seenA, 0);
  EXPECT_GT(seenB, 0);
  EXPECT_GT(midSave, 0) << "no kill landed inside a save: the test proved nothing";
  ::unlink(path.c_str());
  ::unlink(bundlePath.c_str());
}

} // namespace
