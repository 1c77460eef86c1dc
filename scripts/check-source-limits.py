#!/usr/bin/python3
"""The house limits on source size: no file over 600 lines and no function
over 120 lines in compiler/, runtime/, dialects/, targets/ and tools/
(docs/ARCHITECTURE.md, "Limits"). Prints every violation and exits 1 when
there is one.

    scripts/check-source-limits.py [REPO_ROOT]
    scripts/check-source-limits.py --self-test

Functions are found by brace matching on code with comments, strings and
character literals blanked out: a `{` whose enclosing scopes are all
namespaces, classes, structs, unions or `extern "C"` blocks, and whose
header (the text since the previous `;`, `{` or `}`) contains `(` and is
not a type, namespace or initializer, opens a function body. Lambdas and
local classes count towards the function that holds them."""

import re
import sys
from pathlib import Path

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 120
DIRS = ("compiler", "runtime", "dialects", "targets", "tools")
SUFFIXES = {".c", ".cc", ".cpp", ".h", ".hpp", ".inc", ".td"}
SCOPE_WORDS = re.compile(r'\b(namespace|class|struct|union|enum)\b|extern\s+"\s*"')


def declarator(header):
    """The header without template parameter lists and without everything
    from its first `(`: what says whether a `{` opens a type or namespace."""
    header = re.sub(r"\btemplate\s*<[^{;]*?>", " ", header, flags=re.S)
    return header.split("(")[0]


def blank_comments_and_strings(text):
    """Replaces comments and literals by spaces, keeping newlines."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            end = text.find(")" + (m.group(1) if m else "") + '"', i)
            j = n if end < 0 else end + len(m.group(1) if m else "") + 2
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (j - i - 1) + (c if j < n else ""))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(code):
    """Yields (name, first line, line count) of every function body."""
    stack = []  # per open brace: "scope", "function" or "other"
    header_start = 0
    line_of = lambda pos: code.count("\n", 0, pos) + 1
    opened = []
    for pos, c in enumerate(code):
        if c == "{":
            header = code[header_start:pos]
            inside_function = any(kind == "function" for kind in stack)
            if inside_function:
                kind = "other"
            elif SCOPE_WORDS.search(declarator(header)):
                kind = "scope"
            elif "(" in header and not re.search(r"=\s*$", header.strip()) \
                    and not header.rstrip().endswith("="):
                kind = "function"
            else:
                kind = "other"
            stack.append(kind)
            opened.append((pos, header))
            header_start = pos + 1
        elif c == "}":
            if stack:
                kind = stack.pop()
                start, header = opened.pop()
                if kind == "function":
                    name = re.findall(r"([~\w:]+)\s*\(", header)
                    first, last = line_of(start), line_of(pos)
                    yield (name[0] if name else "?", first, last - first + 1)
            header_start = pos + 1
        elif c == ";":
            header_start = pos + 1


def problems_in(root):
    problems = []
    for d in DIRS:
        for path in sorted((root / d).rglob("*")):
            if path.suffix not in SUFFIXES or not path.is_file():
                continue
            text = path.read_text(errors="replace")
            rel = path.relative_to(root)
            lines = text.count("\n")
            if lines > MAX_FILE_LINES:
                problems.append(f"{rel}: {lines} lines (limit {MAX_FILE_LINES})")
            if path.suffix == ".td":
                continue
            code = blank_comments_and_strings(text)
            code = re.sub(r"(?m)^[ \t]*#.*$", lambda m: " " * len(m.group()), code)
            for name, first, count in functions(code):
                if count > MAX_FUNCTION_LINES:
                    problems.append(f"{rel}:{first}: function {name} is {count} "
                                    f"lines (limit {MAX_FUNCTION_LINES})")
    return problems


def self_test():
    """Plants a 601-line file, a 121-line function (in a namespace, after a
    template and an #if) and functions at the limit; expects exactly the two
    violations."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "compiler"
        src.mkdir()
        body = "  x += 1;\n"
        (src / "long.cpp").write_text("int a;\n" * 601)
        (src / "fn.cpp").write_text(
            "#if defined(X)\n#endif\nnamespace n {\ntemplate <class T> struct S { int f(); };\n"
            "int over(int x) {\n" + body * 119 + "}\n"
            "int at(int x) {  // \"{\" in a comment\n" + body * 118 + "}\n"
            "struct K { void m() {\n" + body * 118 + "} };\n}\n")
        got = problems_in(Path(tmp))
    expected = ["compiler/long.cpp: 601 lines (limit 600)",
                "compiler/fn.cpp:5: function over is 121 lines (limit 120)"]
    if sorted(got) != sorted(expected):
        print("self-test: expected", expected, "got", got)
        return 1
    print("check-source-limits self-test: ok")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    problems = problems_in(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
    for p in problems:
        print(p)
    if not problems:
        print("check-source-limits: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
