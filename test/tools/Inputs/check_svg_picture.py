#!/usr/bin/python3
"""Looks at yan-dump --svg's picture as a person would: renders the SVG to
PNG, with rsvg-convert (librsvg, Debian's librsvg2-bin) or as a browser
shows it (a headless Chromium's screenshot of the file, Debian's
chromium-headless-shell), and checks that each
named part is really drawn there: every memory bar's pixels carry its colour,
the roofline's roofs are dark lines where the SVG puts them, the measured
points are filled circles, each target's panel is not blank; and that the
SVG's text names the parts. The PNG is decoded here (zlib + numpy), so no
imaging library is needed.

    check_svg_picture.py FILE.svg OUT.png --targets N [--measured T]...
        [--compute-roof] [--triple TEXT]... [--renderer rsvg|chromium]

--measured T: the first target has yan-bench points (decode and prefill)
for T threads and a memory roof; without any, no target may have points
or roofs. --compute-roof: the first target has a compute roof."""

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

import numpy as np

SVG = "{http://www.w3.org/2000/svg}"
PARTS = ["weights-mapped", "weights-read", "code", "arena", "state", "learn"]
NAMES = ["weights mapped", "weights read / decode token", "code", "arena (prefill/decode)",
         "state", "learn arena", "Where the memory goes", "Roofline", "FLOP per weight byte"]


def fail(message):
    print(f"check_svg_picture: {message}", file=sys.stderr)
    sys.exit(1)


def read_png(path):
    """RGB pixels [H, W, 3] over white of an 8-bit non-interlaced PNG (what
    rsvg-convert and Chromium write)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace:
        fail(f"unexpected PNG format (depth {depth}, color {color}, interlace {interlace})")
    channels = 4 if color == 6 else 3
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8)
    stride = width * channels
    rows = raw.reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.int32)
    prev = [0] * stride
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:].tolist()
        if kind == 0:
            cur = line
        elif kind == 2:
            cur = [(v + p) & 0xFF for v, p in zip(line, prev)]
        else:  # Sub, Average, Paeth depend on the pixel to the left: per byte
            cur = [0] * stride
            for x in range(stride):
                a = cur[x - channels] if x >= channels else 0
                b = prev[x]
                if kind == 1:
                    p = a
                elif kind == 3:
                    p = (a + b) >> 1
                else:
                    c = prev[x - channels] if x >= channels else 0
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (line[x] + p) & 0xFF
        out[y] = cur
        prev = cur
    pixels = out.reshape(height, width, channels)
    if channels == 3:
        pixels = np.concatenate([pixels, np.full((height, width, 1), 255)], axis=2)
    # Composite over white: rsvg leaves uncovered pixels transparent.
    alpha = pixels[..., 3:4] / 255.0
    return (pixels[..., :3] * alpha + 255 * (1 - alpha)).round().astype(np.int32)


def render(renderer, svg, png, width, height):
    """Writes the picture of `svg` to `png`, `width` x `height` pixels."""
    if renderer == "rsvg":
        command = ["rsvg-convert", "--background-color", "white", svg, "-o", png]
    else:
        # A window the SVG's size at one pixel per CSS pixel: the screenshot
        # is then the page as a browser shows it. --no-sandbox: CI runs as
        # root, where Chromium's sandbox refuses to start.
        profile = tempfile.mkdtemp(prefix="yan-chromium-")
        command = ["chromium-headless-shell", "--headless", "--no-sandbox", "--disable-gpu",
                   "--hide-scrollbars", "--force-device-scale-factor=1",
                   f"--user-data-dir={profile}", f"--window-size={width},{height}",
                   f"--screenshot={os.path.abspath(png)}",
                   "file://" + os.path.abspath(svg)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        fail(f"{renderer} did not render {svg} within 120 s")
    finally:
        if renderer == "chromium":
            shutil.rmtree(profile, ignore_errors=True)
    if result.returncode != 0 or not os.path.exists(png):
        fail(f"{renderer} failed on {svg} ({result.returncode}): {result.stderr[-2000:]}")


def hex_color(text):
    text = text.lstrip("#")
    return np.array([int(text[i:i + 2], 16) for i in (0, 2, 4)])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("svg")
    parser.add_argument("png")
    parser.add_argument("--targets", type=int, required=True)
    parser.add_argument("--measured", action="append", default=[])
    parser.add_argument("--compute-roof", action="store_true")
    parser.add_argument("--triple", action="append", default=[])
    parser.add_argument("--renderer", choices=["rsvg", "chromium"], default="rsvg")
    args = parser.parse_args()

    root = ET.parse(args.svg).getroot()
    elements = {e.get("id"): e for e in root.iter() if e.get("id")}
    text = " | ".join("".join(t.itertext()) for t in root.iter(SVG + "text"))
    for name in NAMES + args.triple:
        if name not in text:
            fail(f"the SVG's text never names '{name}'")

    if os.path.exists(args.png):
        os.remove(args.png)  # a stale picture must not pass for a new one
    render(args.renderer, args.svg, args.png,
           int(float(root.get("width"))), int(float(root.get("height"))))
    image = read_png(args.png)
    height, width, _ = image.shape
    if (width, height) != (int(float(root.get("width"))), int(float(root.get("height")))):
        fail(f"PNG is {width}x{height}, not the SVG's size")
    background = np.array([255, 255, 255])

    def near(x, y, color, radius=2, tolerance=40):
        """Some pixel within `radius` of (x, y) is `color` (anti-aliasing aside)."""
        x, y = int(round(x)), int(round(y))
        patch = image[max(y - radius, 0):y + radius + 1, max(x - radius, 0):x + radius + 1]
        return (np.abs(patch - color).max(axis=-1) <= tolerance).any()

    def attr(element, name):
        return float(element.get(name))

    for t in range(args.targets):
        panel = elements.get(f"panel-{t}")
        if panel is None:
            fail(f"no panel for target {t}")
        x, y, w, h = (int(attr(panel, k)) for k in ("x", "y", "width", "height"))
        region = image[y:y + h, x:x + w]
        panel_color = hex_color(panel.get("fill"))
        drawn = (np.abs(region - panel_color).max(axis=-1) > 30).mean()
        if drawn < 0.05:
            fail(f"target {t}'s panel is nearly blank ({drawn:.1%} drawn)")
        for part in PARTS:
            bar = elements.get(f"bar-{t}-{part}")
            if bar is None:
                fail(f"target {t} has no '{part}' bar")
            bx, by, bw, bh = (attr(bar, k) for k in ("x", "y", "width", "height"))
            inside = image[int(by) + 2:int(by + bh) - 2, int(bx) + 2:int(bx + bw) - 2]
            color = hex_color(bar.get("fill"))
            if inside.size == 0 or (np.abs(inside - color).max(axis=-1) <= 12).mean() < 0.9:
                fail(f"target {t}'s '{part}' bar is not drawn in {bar.get('fill')}")
            if (np.abs(inside - background).max(axis=-1) <= 12).mean() > 0.1:
                fail(f"target {t}'s '{part}' bar is background")
        for kind in ("decode", "prefill"):
            line = elements.get(f"intensity-{t}-{kind}")
            if line is None:
                fail(f"target {t} has no {kind} intensity line")
            lx, y1, y2 = attr(line, "x1"), attr(line, "y1"), attr(line, "y2")
            marks = [near(lx, y1 + (y2 - y1) * f, hex_color(line.get("stroke")))
                     for f in np.linspace(0.1, 0.9, 9)]
            if sum(marks) < 3:  # dashed: some of the samples fall in gaps
                fail(f"target {t}'s {kind} intensity line is not drawn")

        roofs = (["memory"] if args.measured else []) + (["compute"] if args.compute_roof else [])
        points = [f"point-{t}-{kind}-{n}" for n in args.measured for kind in ("decode", "prefill")]
        if t > 0:
            roofs, points = [], []  # only the first target was measured in these tests
        for roof in roofs:
            line = elements.get(f"roof-{roof}-{t}")
            if line is None:
                fail(f"target {t} has no {roof} roof")
            x1, y1, x2, y2 = (attr(line, k) for k in ("x1", "y1", "x2", "y2"))
            # A measured point sits on the memory roof when decode runs at
            # the bus's speed, and its disc covers the line there: sample
            # the roof only where no point is drawn over it.
            discs = [(attr(c, "cx"), attr(c, "cy"), attr(c, "r") + 2)
                     for i, c in elements.items() if i.startswith(f"point-{t}-")]
            for f in np.linspace(0.05, 0.95, 10):
                x, y = x1 + (x2 - x1) * f, y1 + (y2 - y1) * f
                if any(np.hypot(x - cx, y - cy) <= r for cx, cy, r in discs):
                    continue
                if not near(x, y, np.array([34, 34, 34])):
                    fail(f"target {t}'s {roof} roof is not drawn at {f:.0%} of its length")
        for point in points:
            circle = elements.get(point)
            if circle is None:
                fail(f"no {point}")
            if not near(attr(circle, "cx"), attr(circle, "cy"), hex_color(circle.get("fill")),
                        radius=1, tolerance=12):
                fail(f"{point} is not drawn")
        stray = [i for i in elements if i.startswith(f"point-{t}-") or
                 (i.startswith("roof-") and i.endswith(f"-{t}") and not roofs)]
        if not points and stray:
            fail(f"target {t} has measured points or roofs but none were expected: {stray}")
    print(f"check_svg_picture: {args.targets} target(s) drawn as named "
          f"({width}x{height} PNG, {args.renderer})")


if __name__ == "__main__":
    main()
