"""set_weight.py FILE TENSOR INDEX VALUE: overwrites element INDEX (flat,
row-major) of TENSOR in the F32 safetensors FILE with VALUE (a Python float:
nan, inf, -inf, 1.5), in place. Only the safetensors header is parsed."""
import json
import struct
import sys

path, tensor, index, value = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
data = bytearray(open(path, "rb").read())
(length,) = struct.unpack_from("<Q", data, 0)
header = json.loads(data[8:8 + length])
entry = header[tensor]
assert entry["dtype"] == "F32", "F32 checkpoints only"
begin = 8 + length + entry["data_offsets"][0]
struct.pack_into("<f", data, begin + 4 * index, value)
open(path, "wb").write(data)
