#!/usr/bin/python3
"""The layering rules of docs/ARCHITECTURE.md ("Layering"), checked on the
source tree. Prints every violation and exits 1 when there is one.

    scripts/check-layering.py [REPO_ROOT]
    scripts/check-layering.py --self-test

1. runtime/src is the runtime's private directory: no file outside runtime/
   includes one of its headers, and no CMake file outside runtime/ puts it
   on an include path. (Shared pieces have their own include directories:
   runtime/crypto, runtime/text.)
2. The libraries follow the pipeline. Every library target defined in the
   tree gets the stage of the directory that defines it (STAGES); a library
   may link libraries of its own stage or earlier ones, never a later one.
   The runtime's libraries link only runtime libraries (it builds without
   the compiler). A library in a directory without a stage is an error, so
   a new directory cannot slip past the check.

Link lines are read from CMakeLists.txt: yan_add_library(NAME ... LINK ...),
add_library(NAME ...) and target_link_libraries(NAME ...). Names that are
not targets of this tree (MLIR, LLVM, Threads::Threads, GTest::...) are
external and ignored."""

import re
import sys
import tempfile
from pathlib import Path

# Directory prefix -> (rank, stage). Longest prefix wins. The compile
# pipeline: import -> transforms/autodiff -> lowering -> codegen -> bundle ->
# driver. The dialect (the IR every stage speaks), the target descriptions
# and the layout of weights and state (import's checkpoint placed in the
# weight segment, read by lowering, codegen and bundle) come before the
# stages that use them. The runtime and its shared pieces come first: the
# compiler may use them, they never use the compiler.
STAGES = {
    "runtime": (0, "runtime"),
    "dialects/yan": (1, "dialect"),
    "targets": (1, "targets"),
    # The target tables the runtime detects against (the arch enum, the CPU
    # feature tables): header-only, no LLVM, configured before the runtime.
    "targets/include": (0, "runtime"),
    "compiler/import": (2, "import"),
    "compiler/layout": (3, "layout"),
    "compiler/transforms": (4, "transforms"),
    "compiler/autodiff": (4, "autodiff"),
    "compiler/lowering": (5, "lowering"),
    "compiler/codegen": (6, "codegen"),
    "compiler/bundle": (7, "bundle"),
    "compiler/driver": (8, "driver"),
}
# Libraries that are not part of the pipeline: tests' and tools' helpers,
# the Python module, the packaged archive. They may link anything.
UNSTAGED_DIRS = ("test", "tools", "bindings", "packaging", "examples")
SOURCE_SUFFIXES = {".c", ".cc", ".cpp", ".h", ".hpp", ".inc"}
SKIP_DIRS = {".git", "build", "__pycache__"}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
CALL = re.compile(r"\b(yan_add_library|add_library|target_link_libraries)\s*\(([^)]*)\)",
                  re.S)
KEYWORDS = {"PUBLIC", "PRIVATE", "INTERFACE", "STATIC", "SHARED", "MODULE", "OBJECT",
            "IMPORTED", "GLOBAL", "ALIAS", "EXCLUDE_FROM_ALL", "LINK", "DEPENDS",
            "LINK_PUBLIC", "LINK_PRIVATE", "LINK_INTERFACE_LIBRARIES"}


def tree_files(root, suffixes=None, names=None):
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS or part.startswith("build") for part in rel.parts[:-1]):
            continue
        if not path.is_file():
            continue
        if (suffixes and path.suffix in suffixes) or (names and path.name in names):
            yield path, rel


def strip_cmake_comments(text):
    return "\n".join(line.split("#", 1)[0] if not line.lstrip().startswith("#[")
                     else "" for line in text.splitlines())


def private_include_violations(root):
    """Rule 1: runtime/src headers included, or runtime/src on an include
    path, outside runtime/."""
    private = {p.name for p in (root / "runtime/src").glob("*.h")}
    problems = []
    for path, rel in tree_files(root, suffixes=SOURCE_SUFFIXES):
        if rel.parts[0] == "runtime":
            continue
        text = path.read_text(errors="replace")
        for match in INCLUDE.finditer(text):
            name = match.group(1)
            line = text.count("\n", 0, match.start()) + 1
            if "runtime/src/" in name:
                problems.append(f"{rel}:{line}: includes \"{name}\" (runtime/src is private)")
            elif name in private and not (path.parent / name).exists():
                problems.append(f"{rel}:{line}: includes \"{name}\", a runtime/src header "
                                "(runtime/src is private)")
    for path, rel in tree_files(root, names={"CMakeLists.txt"}, suffixes={".cmake"}):
        if rel.parts[0] == "runtime":
            continue
        text = strip_cmake_comments(path.read_text(errors="replace"))
        for number, line in enumerate(text.splitlines(), 1):
            if re.search(r"runtime/src\b", line):
                problems.append(f"{rel}:{number}: names runtime/src (private to runtime/)")
    return problems


def stage_of(rel_dir):
    best = None
    for prefix, stage in STAGES.items():
        if rel_dir == prefix or rel_dir.startswith(prefix + "/"):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, stage)
    return best[1] if best else None


def library_graph(root):
    """{library: directory} and [(library, linked name, file)] from the
    CMakeLists link lines."""
    libraries, links = {}, []
    for path, rel in tree_files(root, names={"CMakeLists.txt"}):
        text = strip_cmake_comments(path.read_text(errors="replace"))
        rel_dir = rel.parent.as_posix()
        for command, args in CALL.findall(text):
            words = args.split()
            if not words:
                continue
            name, rest = words[0], words[1:]
            if command in ("yan_add_library", "add_library"):
                if "ALIAS" in rest or "IMPORTED" in rest:
                    continue
                libraries.setdefault(name, rel_dir)
                if command == "yan_add_library" and "LINK" in rest:
                    tail = rest[rest.index("LINK") + 1:]
                    if "DEPENDS" in tail:
                        tail = tail[:tail.index("DEPENDS")]
                    links += [(name, t, rel) for t in tail]
            else:
                links += [(name, t, rel) for t in rest if t not in KEYWORDS]
    return libraries, links


def pipeline_violations(root):
    """Rule 2: no library links a library of a later stage; the runtime
    links only runtime libraries; every library has a stage."""
    libraries, links = library_graph(root)
    problems = []
    for library, rel_dir in sorted(libraries.items()):
        if rel_dir.split("/")[0] in UNSTAGED_DIRS:
            continue
        if stage_of(rel_dir) is None:
            problems.append(f"{rel_dir}/CMakeLists.txt: library {library} is in no stage "
                            "(add its directory to STAGES in scripts/check-layering.py)")
    for library, linked, rel in links:
        if library not in libraries or linked not in libraries:
            continue  # an executable, or an external library
        here, there = libraries[library], libraries[linked]
        if here.split("/")[0] in UNSTAGED_DIRS:
            continue
        mine, theirs = stage_of(here), stage_of(there)
        if mine is None or theirs is None:
            continue  # reported above
        if theirs[0] > mine[0] or (mine[1] == "runtime" and theirs[1] != "runtime"):
            problems.append(f"{rel}: {library} ({mine[1]}) links {linked} ({theirs[1]}), "
                            "a later stage")
    return problems, len(libraries), len(links)


def check(root):
    problems = private_include_violations(root)
    graph_problems, num_libraries, num_links = pipeline_violations(root)
    return problems + graph_problems, num_libraries, num_links


def self_test():
    """The checker on a small tree with one violation of each kind (and
    the allowed cases next to them): each must be reported, nothing else."""
    files = {
        "runtime/src/private.h": "",
        "runtime/src/status.h": "",
        "runtime/CMakeLists.txt": "add_library(yan_runtime STATIC src/a.cpp)\n"
                                  "target_include_directories(yan_runtime PRIVATE src)\n"
                                  "target_link_libraries(yan_runtime PUBLIC YanBundle)\n",
        "runtime/crypto/CMakeLists.txt": "add_library(yan_sha256 STATIC src/sha256.cpp)\n",
        "runtime/test/CMakeLists.txt": "# tests of runtime internals: allowed here\n"
                                       "target_include_directories(t PRIVATE ../src)\n",
        "compiler/import/CMakeLists.txt": "yan_add_library(YanImport Importer.cpp\n"
                                          "  LINK YanDialect MLIR)\n",
        "compiler/layout/CMakeLists.txt": "yan_add_library(YanLayout WeightLayout.cpp\n"
                                          "  LINK YanImport)\n",
        "compiler/lowering/CMakeLists.txt": "yan_add_library(YanLowering LowerToLoops.cpp\n"
                                            "  DEPENDS Gen LINK YanLayout YanBundle)\n",
        "compiler/bundle/CMakeLists.txt": "yan_add_library(YanBundle BundleWriter.cpp\n"
                                          "  LINK YanLayout yan_sha256)\n",
        "compiler/newstage/CMakeLists.txt": "add_library(YanNew STATIC new.cpp)\n",
        "dialects/yan/CMakeLists.txt": "add_library(YanDialect STATIC d.cpp)\n",
        "compiler/bundle/BundleWriter.cpp": '#include "private.h"\n#include "yan/crypto/sha256.h"\n',
        "compiler/import/status.h": "",
        "compiler/import/Importer.cpp": '#include "status.h" // its own, allowed\n',
        "test/runtime/CMakeLists.txt":
            "target_include_directories(x PRIVATE ${YAN_SOURCE_DIR}/runtime/src)\n"
            "add_library(fixture STATIC f.cpp)\ntarget_link_libraries(fixture YanBundle)\n",
        "tools/yan-keygen/keygen.cpp": '#include "runtime/src/private.h"\n',
    }
    expected = [
        "compiler/bundle/BundleWriter.cpp:1: includes \"private.h\"",
        "tools/yan-keygen/keygen.cpp:1: includes \"runtime/src/private.h\"",
        "test/runtime/CMakeLists.txt:1: names runtime/src",
        "library YanNew is in no stage",
        "YanLowering (lowering) links YanBundle (bundle)",
        "yan_runtime (runtime) links YanBundle (bundle)",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        problems, _, _ = check(root)
    missing = [e for e in expected if not any(e in p for p in problems)]
    extra = [p for p in problems if not any(e in p for e in expected)]
    for e in missing:
        print(f"self-test: not reported: {e}")
    for p in extra:
        print(f"self-test: reported wrongly: {p}")
    if missing or extra:
        return 1
    print(f"check-layering self-test: all {len(expected)} planted violations found")
    return 0


def main(argv):
    if len(argv) > 1 and argv[1] == "--self-test":
        return self_test()
    root = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parent.parent)
    problems, num_libraries, num_links = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"check-layering: {len(problems)} violation(s) (docs/ARCHITECTURE.md, "
              "\"Layering\")")
        return 1
    print(f"check-layering: ok ({num_libraries} libraries, {num_links} link edges; "
          "no runtime/src include outside runtime/)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
