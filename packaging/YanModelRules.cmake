# Build rules that compile a Yan checkpoint with yanc at build time (part of
# the installed `yan` CMake package; docs/packaging.md). Each is an ordinary
# add_custom_command: it depends on the checkpoint's files and on yanc
# itself, reruns when any of them changes, and works with every generator
# (Ninja, Makefiles), so distributed build setups can farm it out.
#
#   yan_add_bundle(<target> MODEL_DIR <dir> OUTPUT <file.yanb>
#                  [TARGETS <triple>[:<cpu>]...] [WEIGHTS f32|f16|bf16|int8|int4]
#                  [SIGN_KEY <secret key file>])
#     A custom target (built by `all`) producing the bundle; its property
#     YAN_BUNDLE_FILE holds the bundle's absolute path.
#
#   yan_add_static_model(<target> MODEL_DIR <dir>
#                        [OUTPUT <lib.a>] [HEADER <file.h>] [SYMBOL_PREFIX <name>]
#                        [TARGET <triple>[:<cpu>]] [WEIGHTS f32|f16|bf16|int8|int4]
#                        [PARTITION_ALIGNMENT <bytes>])
#     `yanc --emit=static-lib`: an INTERFACE library <target> that links the
#     archive (default lib<target>.a in the current binary directory) and
#     puts the header (default: the archive's name with .h) on the include
#     path. Programs link it like any library; the archive needs no runtime.
#
# Relative MODEL_DIR, SIGN_KEY are relative to the current source
# directory; relative OUTPUT, HEADER to the current binary directory.

# yanc's file-level dependencies: the files it reads from MODEL_DIR. The
# tokenizer is optional, so the directory itself is a configure dependency:
# adding (or removing) a tokenizer.model reconfigures and updates the rule.
function(_yan_model_inputs model_dir out_var)
  set(inputs ${model_dir}/config.json ${model_dir}/model.safetensors)
  if(EXISTS ${model_dir}/tokenizer.model)
    list(APPEND inputs ${model_dir}/tokenizer.model)
  endif()
  if(IS_DIRECTORY ${model_dir})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${model_dir})
  endif()
  set(${out_var} ${inputs} PARENT_SCOPE)
endfunction()

function(_yan_require_yanc caller)
  if(NOT YAN_YANC_EXECUTABLE)
    message(FATAL_ERROR "${caller}: yanc not found. Install the yanc package (or the tools "
                        "of a yanc build) on this machine, or set YAN_YANC_EXECUTABLE.")
  endif()
endfunction()

# <triple>[:<cpu>]... -> --target T [--cpu C]... yanc takes --cpu once for
# all targets or once per target, so either every entry names a CPU or none.
function(_yan_target_args caller out_var)
  set(args)
  set(with_cpu 0)
  set(without_cpu 0)
  foreach(entry IN LISTS ARGN)
    if(entry MATCHES "^([^:]+):([^:]+)$")
      list(APPEND args --target ${CMAKE_MATCH_1} --cpu ${CMAKE_MATCH_2})
      math(EXPR with_cpu "${with_cpu} + 1")
    elseif(entry MATCHES "^[^:]+$")
      list(APPEND args --target ${entry})
      math(EXPR without_cpu "${without_cpu} + 1")
    else()
      message(FATAL_ERROR "${caller}: '${entry}' is not <triple> or <triple>:<cpu>")
    endif()
  endforeach()
  if(with_cpu GREATER 0 AND without_cpu GREATER 0)
    message(FATAL_ERROR "${caller}: give a CPU for every target or for none "
                        "(yanc takes --cpu once for all targets or once per target)")
  endif()
  set(${out_var} ${args} PARENT_SCOPE)
endfunction()

function(_yan_weights_args caller format out_var)
  set(args)
  if(format)
    if(NOT format MATCHES "^(f32|f16|bf16|int8|int4)$")
      message(FATAL_ERROR "${caller}: WEIGHTS must be f32, f16, bf16, int8 or int4, not '${format}'")
    endif()
    set(args --weights ${format})
  endif()
  set(${out_var} ${args} PARENT_SCOPE)
endfunction()

function(yan_add_bundle target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "MODEL_DIR;OUTPUT;WEIGHTS;SIGN_KEY" "TARGETS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "yan_add_bundle: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_MODEL_DIR OR NOT arg_OUTPUT)
    message(FATAL_ERROR "yan_add_bundle(${target}): MODEL_DIR and OUTPUT are required")
  endif()
  _yan_require_yanc(yan_add_bundle)
  cmake_path(ABSOLUTE_PATH arg_MODEL_DIR BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
             NORMALIZE OUTPUT_VARIABLE model_dir)
  cmake_path(ABSOLUTE_PATH arg_OUTPUT BASE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}
             NORMALIZE OUTPUT_VARIABLE output)
  cmake_path(GET output PARENT_PATH output_dir)
  _yan_model_inputs(${model_dir} inputs)
  _yan_target_args(yan_add_bundle target_args ${arg_TARGETS})
  _yan_weights_args(yan_add_bundle "${arg_WEIGHTS}" weights_args)
  set(sign_args)
  if(arg_SIGN_KEY)
    cmake_path(ABSOLUTE_PATH arg_SIGN_KEY BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
               NORMALIZE OUTPUT_VARIABLE sign_key)
    set(sign_args --sign-key ${sign_key})
    list(APPEND inputs ${sign_key})
  endif()
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${output_dir}
    COMMAND ${YAN_YANC_EXECUTABLE} ${model_dir} -o ${output}
            ${target_args} ${weights_args} ${sign_args}
    DEPENDS ${inputs} ${YAN_YANC_EXECUTABLE}
    COMMENT "yanc: ${model_dir} -> ${output}"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS ${output})
  set_target_properties(${target} PROPERTIES YAN_BUNDLE_FILE ${output})
endfunction()

function(yan_add_static_model target)
  cmake_parse_arguments(PARSE_ARGV 1 arg ""
    "MODEL_DIR;OUTPUT;HEADER;SYMBOL_PREFIX;TARGET;WEIGHTS;PARTITION_ALIGNMENT" "")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "yan_add_static_model: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_MODEL_DIR)
    message(FATAL_ERROR "yan_add_static_model(${target}): MODEL_DIR is required")
  endif()
  _yan_require_yanc(yan_add_static_model)
  cmake_path(ABSOLUTE_PATH arg_MODEL_DIR BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
             NORMALIZE OUTPUT_VARIABLE model_dir)
  if(NOT arg_OUTPUT)
    set(arg_OUTPUT lib${target}.a)
  endif()
  cmake_path(ABSOLUTE_PATH arg_OUTPUT BASE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}
             NORMALIZE OUTPUT_VARIABLE archive)
  if(arg_HEADER)
    cmake_path(ABSOLUTE_PATH arg_HEADER BASE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}
               NORMALIZE OUTPUT_VARIABLE header)
  else()
    cmake_path(REPLACE_EXTENSION archive LAST_ONLY .h OUTPUT_VARIABLE header)
  endif()
  cmake_path(GET archive PARENT_PATH archive_dir)
  cmake_path(GET header PARENT_PATH header_dir)
  _yan_model_inputs(${model_dir} inputs)
  set(target_args)
  if(arg_TARGET)
    _yan_target_args(yan_add_static_model target_args ${arg_TARGET})
  endif()
  _yan_weights_args(yan_add_static_model "${arg_WEIGHTS}" weights_args)
  set(extra_args)
  if(arg_SYMBOL_PREFIX)
    list(APPEND extra_args --symbol-prefix ${arg_SYMBOL_PREFIX})
  endif()
  if(DEFINED arg_PARTITION_ALIGNMENT)
    list(APPEND extra_args --partition-alignment ${arg_PARTITION_ALIGNMENT})
  endif()
  add_custom_command(
    OUTPUT ${archive} ${header}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${archive_dir} ${header_dir}
    COMMAND ${YAN_YANC_EXECUTABLE} ${model_dir} --emit=static-lib -o ${archive}
            --header ${header} ${target_args} ${weights_args} ${extra_args}
    DEPENDS ${inputs} ${YAN_YANC_EXECUTABLE}
    COMMENT "yanc --emit=static-lib: ${model_dir} -> ${archive}"
    VERBATIM)
  add_custom_target(${target}-yanc DEPENDS ${archive} ${header})
  # A wrapper, not an IMPORTED library: an interface library may carry the
  # dependency on the rule above (followed by whatever links it), and the
  # archive's full path makes relinking depend on the archive's content.
  add_library(${target} INTERFACE)
  target_link_libraries(${target} INTERFACE ${archive})
  target_include_directories(${target} INTERFACE ${header_dir})
  add_dependencies(${target} ${target}-yanc)
endfunction()
