"""hostile_safetensors.py KIND OUT: writes a small safetensors file whose
header is hostile to error messages. KIND "control": a tensor whose name
holds ESC and newline bytes and whose dtype a BEL byte (an error quotes
both); "rank": embed.weight with 100,000 dimensions of 1 (whose shape an
error would print)."""
import json
import struct
import sys

kind, out = sys.argv[1], sys.argv[2]
if kind == "control":
    header = {"evil\u001b[2J\nname": {"dtype": "Q\u0007", "shape": [1], "data_offsets": [0, 4]}}
else:
    header = {"embed.weight": {"dtype": "F32", "shape": [1] * 100000, "data_offsets": [0, 4]}}
text = json.dumps(header).encode()
open(out, "wb").write(struct.pack("<Q", len(text)) + text + b"\0\0\0\0")
