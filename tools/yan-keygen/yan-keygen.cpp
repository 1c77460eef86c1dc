//===- yan-keygen.cpp - Make an Ed25519 key pair for signed bundles -------===//
//
//   yan-keygen KEY [--force]
//
// Writes the secret key to KEY (mode 0600, created exclusively unless
// --force) and the public key to KEY.pub, and prints the key id. Formats
// (docs/security.md): one line "yan-ed25519-secret <64 hex digits>" (the
// 32-byte Ed25519 seed) and "yan-ed25519-public <64 hex digits>".
// `yanc --sign-key KEY` signs; `yan-run --trust KEY.pub` verifies.
// Exit status: 0 ok, 1 error, 2 usage error.
//
//===----------------------------------------------------------------------===//
#include "yan/crypto/signature.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

// No message: --help, whose usage goes to stdout (exit 0).
int usage(const char *message) {
  if (message)
    std::fprintf(stderr, "yan-keygen: error: %s\n", message);
  std::fprintf(message ? stderr : stdout, "usage: yan-keygen KEY [--force]\n"
                       "  writes KEY (secret, mode 0600) and KEY.pub (public)\n");
  return 2;
}

// Writes `text` to `path` with `mode`; exclusive creation unless `force`.
bool writeFile(const std::string &path, const char *text, mode_t mode, bool force) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
  int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) {
    std::fprintf(stderr, "yan-keygen: error: cannot create %s: %s%s\n", path.c_str(),
                 std::strerror(errno), errno == EEXIST ? " (use --force to replace it)" : "");
    return false;
  }
  // An existing file keeps its mode on O_TRUNC: set it explicitly.
  bool ok = ::fchmod(fd, mode) == 0;
  size_t length = std::strlen(text);
  ok = ok && ::write(fd, text, length) == static_cast<ssize_t>(length);
  ok = ::close(fd) == 0 && ok;
  if (!ok)
    std::fprintf(stderr, "yan-keygen: error: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
  return ok;
}

} // namespace

int main(int argc, char **argv) {
  const char *keyPath = nullptr;
  bool force = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--force") == 0)
      force = true;
    else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0)
      return usage(nullptr), 0;
    else if (argv[i][0] == '-' && argv[i][1])
      return usage((std::string("unknown option ") + argv[i]).c_str());
    else if (keyPath)
      return usage("give one KEY path");
    else
      keyPath = argv[i];
  }
  if (!keyPath)
    return usage("missing KEY path");

  using namespace yan::rt;
  uint8_t seed[kSecretSeedBytes], publicKey[kPublicKeyBytes];
  if (!ed25519NewSeed(seed) || !ed25519PublicKey(seed, publicKey)) {
    std::fprintf(stderr, "yan-keygen: error: libsodium failed to initialize\n");
    return 1;
  }
  char secretText[160], publicText[160];
  formatKeyText(kSecretKeyLabel, seed, secretText, sizeof secretText);
  formatKeyText(kPublicKeyLabel, publicKey, publicText, sizeof publicText);
  secureZero(seed, sizeof seed);
  std::string pubPath = std::string(keyPath) + ".pub";
  bool ok = writeFile(keyPath, secretText, 0600, force);
  secureZero(secretText, sizeof secretText);
  if (ok && !writeFile(pubPath, publicText, 0644, force)) {
    // A secret key without its public half is a stray: remove the one just
    // created (exclusively, so it is ours; with --force the old one is gone).
    if (!force)
      ::unlink(keyPath);
    return 1;
  }
  if (!ok)
    return 1;
  uint8_t id[kKeyIdBytes];
  char idHex[2 * kKeyIdBytes + 1];
  keyId(publicKey, id);
  keyIdHex(id, idHex);
  std::printf("secret key: %s\npublic key: %s\nkey id: %s\n", keyPath, pubPath.c_str(), idHex);
  return 0;
}
