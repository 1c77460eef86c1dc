#!/usr/bin/python3
"""Runs a command with stdin, stdout and stderr on a pseudo-terminal and
prints what it wrote there, control characters made visible ({CR} for a
carriage return, {ESC} for an escape, {LF} then a real newline for a line
feed), then "exit N". For the tests of what tools show only on a terminal
(yanc's progress line).

    on_terminal.py COMMAND [ARG]...
"""
import os
import subprocess
import sys


def main():
    master, slave = os.openpty()
    # The terminal's width, so a progress line is not cut short.
    env = dict(os.environ, COLUMNS="200")
    child = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    output = bytearray()
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every copy of the terminal's other end is closed
            break
        if not data:
            break
        output.extend(data)
    status = child.wait()
    # A terminal turns "\n" into "\r\n": undo it to see what was written.
    text = output.decode("utf-8", "replace").replace("\r\n", "\n")
    text = text.replace("\r", "{CR}").replace("\x1b", "{ESC}").replace("\n", "{LF}\n")
    sys.stdout.write(text)
    sys.stdout.write("\nexit %d\n" % status)


if __name__ == "__main__":
    main()
