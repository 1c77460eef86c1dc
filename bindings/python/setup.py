"""Builds the extension yan._native with the project's own CMake build, so
pip and CMake compile one thing one way (bindings/python/CMakeLists.txt).

The CMake build directory is YAN_CMAKE_BUILD_DIR if set, else one under
setuptools' build directory. When it is not configured yet, setup.py
configures a runtime-only build there (no LLVM: YAN_BUILD_COMPILER=OFF) for
the python running pip; an existing build (e.g. the project's own build/)
is reused as it is. Either way it builds the target `yan_python` and takes
the module from <build>/python/yan. Nothing is downloaded. docs/python.md."""

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
        build_dir = os.environ.get("YAN_CMAKE_BUILD_DIR") or os.path.join(
            os.path.abspath(self.build_temp), "cmake")
        if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
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
