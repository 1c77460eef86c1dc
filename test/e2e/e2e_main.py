"""The entry point of the e2e scripts, and how they give their disk back.

The scratch folders of the small-preset cases hold gigabytes (models,
bundles, dumps of every partition), and CI's disk is finite: a script whose
cases all passed removes its scratch folder; one with a failure keeps it for
a look. Scripts whose cases share a ctest fixture (test_targets.py,
test_quantized.py) take `setup` and `cleanup` arguments instead, which the
fixture's setup and cleanup tests pass (test/e2e/CMakeLists.txt)."""

import glob
import os
import shutil
import sys
import unittest


def discard_outputs(prefix):
    """Removes PREFIX.* (one compared case's files, once they matched)."""
    for path in glob.glob(glob.escape(prefix) + ".*"):
        os.remove(path)


def main(work, setup=None):
    if setup is not None and sys.argv[1:] == ["setup"]:
        setup()
        return
    if setup is not None and sys.argv[1:] == ["cleanup"]:
        shutil.rmtree(work, ignore_errors=True)
        return
    result = unittest.main(verbosity=2, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    if setup is None:
        shutil.rmtree(work, ignore_errors=True)
