//===- EntryAbi.h - The one description of an entry point's arguments -*- C++
//-*-===//
//
// Every entry point of a code image is called with one yan_entry_args_v3
// (runtime/include/yan/executable_abi.h). Three places in the compiler build
// or read that contract: the lowering gives each lowered function
// yan_<name>(weights, state, arena, tokens, logits, stats, learn,
// optimizer_state, thread_index, thread_count, pool, barrier, verified,
// verify, verifier, partition_copy_offsets, partition_copies, previous) its
// signature
// (LoweringContext.cpp, LowerLearnApply.cpp), and the object emitter unpacks
// the C struct into that function's arguments (ObjectEmitter.cpp). This
// table is the one description they all use: the struct's fields in order,
// their byte offsets, and how each becomes an argument of the lowered
// function. The static_asserts below tie it to the C header at build time,
// so a change to either side that the other does not follow fails to
// compile.
//
// Header-only and free of MLIR and LLVM types: the lowering maps the table
// onto MLIR types and the object emitter onto LLVM types, each where it
// builds its IR, from the same rows.
//
//===----------------------------------------------------------------------===//
#ifndef YAN_COMPILER_ABI_ENTRYABI_H
#define YAN_COMPILER_ABI_ENTRYABI_H

#include "runtime/include/yan/executable_abi.h"

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace yan::abi {

/// How a field is stored in yan_entry_args_v3.
enum class FieldStorage { Pointer, Int64 };

/// What a field becomes in the lowered function.
enum class LoweredAs {
  /// A 1-D memref<?xElement> of the pointed-to buffer.
  Buffer,
  /// An `index` (thread index and count).
  Index,
  /// An i64 word (the pool pointer, passed through opaquely).
  Word,
  /// The barrier callback: (i64) -> ().
  Callback,
  /// The verify callback: (i64, i64) -> () (lazy trust).
  VerifyCallback,
  /// No argument of its own: num_tokens is the tokens memref's size.
  BufferSize,
};

/// The element type of a Buffer argument.
enum class Element { None, I8, I32, I64, F32, F64 };

struct EntryField {
  const char *name;
  std::size_t offset; // in yan_entry_args_v3
  FieldStorage storage;
  LoweredAs lowered;
  Element element;
};

/// yan_entry_args_v3's fields, in order.
enum EntryFieldIndex : unsigned {
  kWeightsField,
  kStateField,
  kArenaField,
  kTokensField,
  kNumTokensField,
  kLogitsField,
  kStatsField,
  kLearnField,
  kOptimizerStateField,
  kThreadIndexField,
  kThreadCountField,
  kPoolField,
  kBarrierField,
  // Lazy trust (ABI 5): one group, kept together.
  kVerifiedField,
  kVerifyField,
  kVerifierField,
  // Partition copies (ABI 6).
  kPartitionCopyOffsetsField,
  kPartitionCopiesField,
  // The rollback copy (ABI 8).
  kPreviousField,
  kNumEntryFields,
};

inline constexpr EntryField kEntryFields[kNumEntryFields] = {
    {"weights", 0, FieldStorage::Pointer, LoweredAs::Buffer, Element::I8},
    {"state", 8, FieldStorage::Pointer, LoweredAs::Buffer, Element::F32},
    {"arena", 16, FieldStorage::Pointer, LoweredAs::Buffer, Element::I8},
    {"tokens", 24, FieldStorage::Pointer, LoweredAs::Buffer, Element::I32},
    {"num_tokens", 32, FieldStorage::Int64, LoweredAs::BufferSize,
     Element::None},
    {"logits", 40, FieldStorage::Pointer, LoweredAs::Buffer, Element::F32},
    {"stats", 48, FieldStorage::Pointer, LoweredAs::Buffer, Element::I64},
    {"learn", 56, FieldStorage::Pointer, LoweredAs::Buffer, Element::F64},
    {"optimizer_state", 64, FieldStorage::Pointer, LoweredAs::Buffer,
     Element::F32},
    {"thread_index", 72, FieldStorage::Int64, LoweredAs::Index, Element::None},
    {"thread_count", 80, FieldStorage::Int64, LoweredAs::Index, Element::None},
    {"pool", 88, FieldStorage::Pointer, LoweredAs::Word, Element::None},
    {"barrier", 96, FieldStorage::Pointer, LoweredAs::Callback, Element::None},
    {"verified", 104, FieldStorage::Pointer, LoweredAs::Buffer, Element::I8},
    {"verify", 112, FieldStorage::Pointer, LoweredAs::VerifyCallback,
     Element::None},
    {"verifier", 120, FieldStorage::Pointer, LoweredAs::Word, Element::None},
    {"partition_copy_offsets", 128, FieldStorage::Pointer, LoweredAs::Buffer,
     Element::I64},
    {"partition_copies", 136, FieldStorage::Pointer, LoweredAs::Buffer,
     Element::I8},
    {"previous", 144, FieldStorage::Pointer, LoweredAs::Buffer, Element::I8},
};

/// The lowered function's argument that field `field` becomes (fields
/// lowered as BufferSize have none; this is then the next field's).
constexpr unsigned loweredArgument(unsigned field) {
  unsigned argument = 0;
  for (unsigned i = 0; i < field; ++i)
    if (kEntryFields[i].lowered != LoweredAs::BufferSize)
      ++argument;
  return argument;
}

/// The lowered function's arguments, by index.
enum EntryArgument : unsigned {
  kWeightsArg = loweredArgument(kWeightsField),
  kStateArg = loweredArgument(kStateField),
  kArenaArg = loweredArgument(kArenaField),
  kTokensArg = loweredArgument(kTokensField),
  kLogitsArg = loweredArgument(kLogitsField),
  kStatsArg = loweredArgument(kStatsField),
  kLearnArg = loweredArgument(kLearnField),
  kOptimizerStateArg = loweredArgument(kOptimizerStateField),
  kThreadIndexArg = loweredArgument(kThreadIndexField),
  kThreadCountArg = loweredArgument(kThreadCountField),
  kPoolArg = loweredArgument(kPoolField),
  kBarrierArg = loweredArgument(kBarrierField),
  kVerifiedArg = loweredArgument(kVerifiedField),
  kVerifyArg = loweredArgument(kVerifyField),
  kVerifierArg = loweredArgument(kVerifierField),
  kPartitionCopyOffsetsArg = loweredArgument(kPartitionCopyOffsetsField),
  kPartitionCopiesArg = loweredArgument(kPartitionCopiesField),
  kPreviousArg = loweredArgument(kPreviousField),
  kNumEntryArguments = loweredArgument(kNumEntryFields),
};
static_assert(kNumEntryArguments == 18);

//===----------------------------------------------------------------------===//
// The table against the C header
//===----------------------------------------------------------------------===//

static_assert(sizeof(void *) == 8, "the entry ABI is defined for LP64");
static_assert(sizeof(yan_entry_args_v3) == 8 * kNumEntryFields,
              "yan_entry_args_v3 gained or lost a field: update kEntryFields");

#define YAN_CHECK_ENTRY_FIELD(index, member, storageKind)                      \
  static_assert(offsetof(yan_entry_args_v3, member) ==                         \
                    kEntryFields[index].offset,                                \
                "kEntryFields disagrees with yan_entry_args_v3." #member);     \
  static_assert(kEntryFields[index].storage == FieldStorage::storageKind,      \
                "yan_entry_args_v3." #member " changed its kind");             \
  static_assert(sizeof(yan_entry_args_v3::member) == 8)
YAN_CHECK_ENTRY_FIELD(kWeightsField, weights, Pointer);
YAN_CHECK_ENTRY_FIELD(kStateField, state, Pointer);
YAN_CHECK_ENTRY_FIELD(kArenaField, arena, Pointer);
YAN_CHECK_ENTRY_FIELD(kTokensField, tokens, Pointer);
YAN_CHECK_ENTRY_FIELD(kNumTokensField, num_tokens, Int64);
YAN_CHECK_ENTRY_FIELD(kLogitsField, logits, Pointer);
YAN_CHECK_ENTRY_FIELD(kStatsField, stats, Pointer);
YAN_CHECK_ENTRY_FIELD(kLearnField, learn, Pointer);
YAN_CHECK_ENTRY_FIELD(kOptimizerStateField, optimizer_state, Pointer);
YAN_CHECK_ENTRY_FIELD(kThreadIndexField, thread_index, Int64);
YAN_CHECK_ENTRY_FIELD(kThreadCountField, thread_count, Int64);
YAN_CHECK_ENTRY_FIELD(kPoolField, pool, Pointer);
YAN_CHECK_ENTRY_FIELD(kBarrierField, barrier, Pointer);
YAN_CHECK_ENTRY_FIELD(kVerifiedField, verified, Pointer);
YAN_CHECK_ENTRY_FIELD(kVerifyField, verify, Pointer);
YAN_CHECK_ENTRY_FIELD(kVerifierField, verifier, Pointer);
YAN_CHECK_ENTRY_FIELD(kPartitionCopyOffsetsField, partition_copy_offsets,
                      Pointer);
YAN_CHECK_ENTRY_FIELD(kPartitionCopiesField, partition_copies, Pointer);
YAN_CHECK_ENTRY_FIELD(kPreviousField, previous, Pointer);
#undef YAN_CHECK_ENTRY_FIELD

/// The C element type of a Buffer field.
template <typename T> constexpr Element elementOf() {
  using E = std::remove_cv_t<std::remove_pointer_t<T>>;
  if constexpr (std::is_same_v<E, uint8_t>)
    return Element::I8;
  else if constexpr (std::is_same_v<E, int32_t>)
    return Element::I32;
  else if constexpr (std::is_same_v<E, uint64_t> || std::is_same_v<E, int64_t>)
    return Element::I64;
  else if constexpr (std::is_same_v<E, float>)
    return Element::F32;
  else if constexpr (std::is_same_v<E, double>)
    return Element::F64;
  else
    return Element::None;
}
#define YAN_CHECK_BUFFER_ELEMENT(index, member)                                \
  static_assert(elementOf<decltype(yan_entry_args_v3::member)>() ==            \
                    kEntryFields[index].element,                               \
                "yan_entry_args_v3." #member " changed its element type")
YAN_CHECK_BUFFER_ELEMENT(kWeightsField, weights);
YAN_CHECK_BUFFER_ELEMENT(kStateField, state);
YAN_CHECK_BUFFER_ELEMENT(kArenaField, arena);
YAN_CHECK_BUFFER_ELEMENT(kTokensField, tokens);
YAN_CHECK_BUFFER_ELEMENT(kLogitsField, logits);
YAN_CHECK_BUFFER_ELEMENT(kStatsField, stats);
YAN_CHECK_BUFFER_ELEMENT(kLearnField, learn);
YAN_CHECK_BUFFER_ELEMENT(kOptimizerStateField, optimizer_state);
YAN_CHECK_BUFFER_ELEMENT(kVerifiedField, verified);
YAN_CHECK_BUFFER_ELEMENT(kPartitionCopyOffsetsField, partition_copy_offsets);
YAN_CHECK_BUFFER_ELEMENT(kPartitionCopiesField, partition_copies);
YAN_CHECK_BUFFER_ELEMENT(kPreviousField, previous);
#undef YAN_CHECK_BUFFER_ELEMENT

} // namespace yan::abi

#endif // YAN_COMPILER_ABI_ENTRYABI_H
