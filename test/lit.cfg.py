# lit configuration for the compiler's tests (dialect, import, later passes and
# codegen). Tools come from the build's bin/ and LLVM 19's bin/.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "yan"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.yan_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in",
                   "reference", "unit", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%yan_src", config.yan_src_root))
config.substitutions.append(("%python", config.python_executable))

llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.use_default_substitutions()

tool_dirs = [config.yan_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(
    ["yan-opt", "yanc", "yan-model-gen", "yan-run", "yan-dump", "yan-bench", "yan-keygen",
     "yan-tokenize"], tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.yan_tools_dir, append_path=True)
