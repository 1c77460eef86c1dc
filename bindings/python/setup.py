"""Builds the extension yan._native with the project's own CMake build, so
pip and CMake compile one thing one way (bindings/python/CMakeLists.txt).

Without YAN_CMAKE_BUILD_DIR it configures a runtime-only build (no LLVM:
YAN_BUILD_COMPILER=OFF) under setuptools' build directory for the python
running pip; with it, it builds the target `yan_python` in that existing
build directory (a no-op when it is up to date) and takes the module from
there. docs/python.md."""

import os
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))  # the repository


def project_version():
    with open(os.path.join(SOURCE, "CMakeLists.txt")) as f:
        match = re.search(r"project\(yanc\b[^)]*\bVERSION\s+([0-9.]+)", f.read())
    if not match:
        raise RuntimeError("no project(yanc ... VERSION x.y.z) in CMakeLists.txt")
    return match.group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.environ.get("YAN_CMAKE_BUILD_DIR")
        if not build_dir:
            build_dir = os.path.join(os.path.abspath(self.build_temp), "cmake")
            generator = ["-G", "Ninja"] if shutil.which("ninja") else []
            subprocess.check_call(
                ["cmake", "-S", SOURCE, "-B", build_dir, *generator,
                 "-DCMAKE_BUILD_TYPE=Release", "-DYAN_BUILD_COMPILER=OFF",
                 "-DYAN_BUILD_TESTS=OFF", "-DYAN_BUILD_PYTHON=ON",
                 f"-DYAN_PYTHON={sys.executable}"])
        jobs = os.environ.get("YAN_JOBS", str(os.cpu_count() or 1))
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "yan_python",
                               "-j", jobs])
        built = os.path.join(build_dir, "python", "yan",
                             os.path.basename(self.get_ext_filename(ext.name)))
        if not os.path.exists(built):
            raise RuntimeError(f"{built} was not built (was {build_dir} configured for "
                               f"{sys.executable}?)")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built, target)


setup(
    version=project_version(),
    packages=["yan"],
    ext_modules=[Extension("yan._native", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
