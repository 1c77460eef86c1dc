"""Which code image of a bundle this host runs, seen from the outside.

  image_choice.py expected DUMP.json CPU_INFO.txt
      the cpu and features of the image a runtime on this host should load
      (two presets may share LLVM's CPU: x86-64-v4 and x86-64-v4-bf16): of the images
      for this host's architecture whose required features the host has all
      of, the one requiring the most (ties to the earlier image), or "none".
      That is the rule of selectImage (runtime/src/bundle_verify.cpp),
      restated so tests check the runtime's and `yanc --cpu native`'s
      choices against it on whatever CPU runs them.
  image_choice.py loaded DUMP.json
      the cpu and features of the image the runtime loaded ("host": true),
      or "none".

DUMP.json is `yan-dump BUNDLE --json`, CPU_INFO.txt `yan-run --cpu-info`
(the features the runtime detects here).
"""
import json
import sys


def images(dump_path):
    with open(dump_path) as f:
        return json.load(f)["code_images"]


def expected(dump_path, cpu_info_path):
    with open(cpu_info_path) as f:
        info = dict(line.split(": ", 1) for line in f.read().splitlines() if ": " in line)
    host = set(filter(None, info.get("features", "").split(",")))
    best = None
    for image in images(dump_path):
        required = set(filter(None, image["required_features"].split(",")))
        if image["arch"] == info["arch"] and required <= host:
            if best is None or len(required) > best[0]:
                best = (len(required), name(image))
    return best[1] if best else "none"


def name(image):
    return f"{image['cpu']} '{image['features']}'"


def loaded(dump_path):
    return next((name(image) for image in images(dump_path) if image["host"]), "none")


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    print(expected(*args) if mode == "expected" else loaded(*args))
