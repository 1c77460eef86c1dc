//===- keys.cpp - Trusted public keys (C API) -----------------------------===//
#include "file_mapping.h"
#include "status.h"
#include "yan/crypto/signature.h"
#include "yan/runtime.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

using namespace yan::rt;

namespace {

// A key file's text (one short line plus comments: 4 KiB is plenty), wiped
// when it goes out of scope: it may hold a secret key.
struct KeyFileText {
  char text[4096];
  size_t size = 0;
  bool shared = false; // group or others may access the file

  ~KeyFileText() { secureZero(text, sizeof text); }

  // Whether the text is a valid key of kind `label` (a key file label), the
  // key itself not kept: to name a key file of the wrong kind as such.
  bool holds(const char *label) const {
    uint8_t key[32];
    char why[128];
    bool valid = parseKeyText(text, size, label, key, why, sizeof why);
    secureZero(key, sizeof key);
    return valid;
  }
};

// Reads the key file at `path` (`what` names its kind in messages).
yan_status_t readKeyFile(const char *path, const char *what, KeyFileText *file) {
  char (&text)[4096] = file->text;
  int fd = -1;
  uint64_t fileSize = 0;
  YAN_RETURN_IF_ERROR(openRegularFile(path, what, &fd, &fileSize));
  struct stat info;
  file->shared = ::fstat(fd, &info) != 0 || (info.st_mode & (S_IRWXG | S_IRWXO));
  if (fileSize >= sizeof text) {
    ::close(fd);
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "%s %s: file is too large", what, path);
  }
  ssize_t got;
  do
    got = ::read(fd, text, sizeof text);
  while (got < 0 && errno == EINTR);
  int error = errno;
  ::close(fd);
  if (got < 0)
    return makeStatus(YAN_STATUS_IO_ERROR, "cannot read %s %s: %s", what, path,
                      std::strerror(error));
  file->size = static_cast<size_t>(got);
  return nullptr;
}

} // namespace

extern "C" {

yan_status_t yan_public_key_parse(const char *text, size_t size, yan_public_key_t *out) {
  if ((!text && size) || !out)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_public_key_parse: NULL argument");
  char why[128];
  yan_public_key_t key;
  if (!parseKeyText(text ? text : "", size, kPublicKeyLabel, key.bytes, why, sizeof why))
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "not a public key: %s", why);
  *out = key;
  return nullptr;
}

yan_status_t yan_public_key_read_file(const char *path, yan_public_key_t *out) {
  if (!path || !out)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_public_key_read_file: NULL argument");
  KeyFileText file;
  YAN_RETURN_IF_ERROR(readKeyFile(path, "public key", &file));
  char why[128];
  yan_public_key_t key;
  if (parseKeyText(file.text, file.size, kPublicKeyLabel, key.bytes, why, sizeof why)) {
    *out = key;
    return nullptr;
  }
  // `why` stays the public-key parse's reason: a malformed public key is
  // not described as a failed secret key (issue 14).
  if (file.holds(kSecretKeyLabel))
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                      "%s is a SECRET key: trust the public key (KEY.pub) instead", path);
  return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "%s is not a public key: %s", path, why);
}

yan_status_t yan_secret_key_read_file(const char *path, yan_secret_key_t *out) {
  if (!path || !out)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "yan_secret_key_read_file: NULL argument");
  KeyFileText file;
  YAN_RETURN_IF_ERROR(readKeyFile(path, "secret key", &file));
  char why[128];
  yan_secret_key_t key;
  yan_status_t status = nullptr;
  // The most useful message first: a public key given by mistake (whose
  // mode is 0644) is named as such, not as a permission problem.
  if (file.holds(kPublicKeyLabel))
    status = makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                        "%s is a public key: signing needs the secret key (yan-keygen "
                        "writes KEY and KEY.pub)", path);
  else if (file.shared)
    status = makeStatus(YAN_STATUS_INVALID_ARGUMENT,
                        "secret key %s is accessible by group or others: chmod 600 it (a "
                        "secret key must be readable by its owner only)", path);
  else if (!parseKeyText(file.text, file.size, kSecretKeyLabel, key.seed, why, sizeof why))
    status = makeStatus(YAN_STATUS_INVALID_ARGUMENT, "%s is not a secret key: %s", path, why);
  else
    *out = key;
  secureZero(&key, sizeof key);
  return status;
}

void yan_public_key_id(const yan_public_key_t *key, char out[17]) {
  uint8_t id[kKeyIdBytes];
  keyId(key->bytes, id);
  keyIdHex(id, out);
}

} // extern "C"
