//===- StatusTest.cpp - Status messages quoting untrusted bytes -----------===//
//
// Messages quote bytes from files (weight names, key text): control bytes
// come out escaped, so a message is one line that cannot drive a terminal,
// and an over-long one is cut with a mark (issue 14). makeStatus/annotate
// are the runtime's internals (status.h); the suite keeps the name it had
// among the hostile-value tests.
//
//===----------------------------------------------------------------------===//
#include "status.h"

#include "gtest/gtest.h"

#include <memory>
#include <string>

namespace {

struct StatusDeleter {
  void operator()(yan_status *status) const { yan_status_free(status); }
};
using StatusPtr = std::unique_ptr<yan_status, StatusDeleter>;

std::string message(const StatusPtr &status) { return yan_status_message(status.get()); }

TEST(HostileValues, StatusMessagesAreOneBoundedLine) {
  using yan::rt::annotate;
  using yan::rt::makeStatus;
  StatusPtr status(makeStatus(YAN_STATUS_BAD_LAYOUT, "weight '%s'", "a\x1b[2J\nb\x7f"));
  EXPECT_EQ(message(status), "weight 'a\\x1b[2J\\x0ab\\x7f'");
  std::string huge(100000, 'x');
  status.reset(makeStatus(YAN_STATUS_BAD_LAYOUT, "shape %s", huge.c_str()));
  EXPECT_LT(message(status).size(), 1024u);
  EXPECT_EQ(message(status).substr(message(status).size() - 6), " [...]");
  // Annotating keeps it escaped once, not twice.
  status.reset(annotate(makeStatus(YAN_STATUS_BAD_LAYOUT, "x\ty"), "file"));
  EXPECT_EQ(message(status), "file: x\\x09y");
}

} // namespace
