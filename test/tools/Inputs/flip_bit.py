"""flip_bit.py BUNDLE OUT_PREFIX REGION...: writes OUT_PREFIX.REGION.yanb, a
copy of a signed BUNDLE with one bit flipped in REGION (toc: the FlatBuffer;
code: the first segment; weights: the last segment, which is the weight
segment of a bundle without test vectors; signature: the signature bytes).
Only the 64-byte header is parsed (runtime/include/yan/bundle_format.h)."""
import struct
import sys

path, prefix, regions = sys.argv[1], sys.argv[2], sys.argv[3:]
data = open(path, "rb").read()
(magic, version, size, fb_off, fb_size, seg_base, file_size, align, flags,
 sig_off) = struct.unpack("<8sIIQQQQIIQ", data[:64])
# Version 3 signed: the SIGNED flag (1) with the TOC-hash flag (2); an
# older signed bundle (version 2) has flags exactly 1.
assert magic == b"YANBNDL\0" and flags & 1 and file_size == len(data), "not a signed bundle"
where = {
    "toc": fb_off + fb_size // 2,
    "code": seg_base + 100,
    "weights": sig_off - 4096,
    "signature": sig_off + 32 + 10,  # inside the 64 signature bytes
}
for region in regions:
    flipped = bytearray(data)
    flipped[where[region]] ^= 0x04
    open("%s.%s.yanb" % (prefix, region), "wb").write(flipped)
