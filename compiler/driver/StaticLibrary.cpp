//===- StaticLibrary.cpp - A model as a static library for firmware -------===//
//
// Two relocatable objects in one deterministic GNU ar archive:
//   <prefix>_code.o     the generated code; one global, <prefix>_query
//   <prefix>_weights.o  <prefix>_weights (the bundle's weight segment, byte
//                       for byte, 64-byte aligned, in .rodata so it can stay
//                       in flash) and <prefix>_weights_size
// The weights go through LLVM as a constant array rather than an assembler
// .incbin: no external tools, and the object is emitted for the same
// target, so it links with the code without flags.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/StaticLibrary.h"

#include "compiler/codegen/ObjectEmitter.h"
#include "compiler/layout/WeightSegment.h"
#include "yan/executable_abi.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>

#include "ExecutableAbiText.inc" // kExecutableAbiText

namespace yan {
namespace {

/// The weight segment exactly as the bundle writer lays it out (zero
/// padding between tensors and partitions).
llvm::Expected<std::vector<uint8_t>> weightSegment(const ModelLayout &layout,
                                                   const Checkpoint &checkpoint) {
  std::vector<uint8_t> segment(layout.weights.segmentSize, 0);
  for (const BundleWeight &w : bundleWeights(layout.weights, checkpoint)) {
    for (int64_t p = 0; p < w.numPartitions; ++p) {
      uint64_t at = w.offset + static_cast<uint64_t>(p) * w.partitionStride;
      uint64_t end = at + w.partitionBytes;
      if (at > segment.size() || w.partitionBytes > segment.size() - at)
        return llvm::createStringError("internal error: weight '" + w.name + "' lies outside the " +
                     llvm::Twine(segment.size()) + "-byte weight segment");
      llvm::Error error = w.writePartition(p, [&](llvm::ArrayRef<uint8_t> piece) {
        size_t n = at < end ? std::min<uint64_t>(piece.size(), end - at) : 0;
        std::memcpy(segment.data() + at, piece.data(), n);
        at += piece.size();
      });
      if (error)
        return std::move(error);
      if (at != end)
        return llvm::createStringError("internal error: weight '" + w.name +
                                       "' produced the wrong number of bytes");
    }
  }
  return segment;
}

/// An object defining the weight segment and its size, for the code's
/// target (triple and data layout taken from the code module).
llvm::Expected<std::vector<uint8_t>> weightObject(const llvm::Module &codeModule,
                                                  const std::vector<uint8_t> &segment,
                                                  const ResolvedTarget &target,
                                                  llvm::StringRef prefix) {
  llvm::LLVMContext context;
  llvm::Module module((prefix + "_weights").str(), context);
  module.setTargetTriple(codeModule.getTargetTriple());
  module.setDataLayout(codeModule.getDataLayout());
  auto *bytes = llvm::ConstantDataArray::getRaw(
      llvm::StringRef(reinterpret_cast<const char *>(segment.data()), segment.size()),
      segment.size(), llvm::Type::getInt8Ty(context));
  auto *weights = new llvm::GlobalVariable(module, bytes->getType(), /*isConstant=*/true,
                                           llvm::GlobalValue::ExternalLinkage, bytes,
                                           prefix + "_weights");
  // What the bundle guarantees (WeightLayoutOptions::tensorAlignment) and
  // generated vector loads may assume.
  weights->setAlignment(llvm::Align(64));
  auto *size = llvm::ConstantInt::get(llvm::Type::getInt64Ty(context), segment.size());
  new llvm::GlobalVariable(module, size->getType(), true, llvm::GlobalValue::ExternalLinkage,
                           size, prefix + "_weights_size");
  return emitObject(module, target);
}

std::string header(const ModelLayout &layout, const Checkpoint &checkpoint,
                   const ResolvedTarget &target, llvm::StringRef required,
                   llvm::StringRef prefix, uint64_t weightBytes) {
  const ModelConfig &c = checkpoint.config;
  std::string macro = llvm::StringRef(prefix).upper();
  std::string out;
  llvm::raw_string_ostream os(out);
  auto define = [&](llvm::StringRef name, const llvm::Twine &value) {
    os << "#define " << macro << "_" << name << " " << value << "\n";
  };
  int64_t arena = 0, prefillMax = 1;
  for (const EntryPointInfo &e : layout.entries) {
    arena = std::max(arena, e.arenaBytes);
    if (e.index == YAN_ENTRY_PREFILL)
      prefillMax = e.maxTokens;
  }
  // The table's type keeps the name of the ABI version that last changed
  // its layout (versions 5 and 6 changed the entry arguments only).
  std::string executable = "yan_executable_v4";
  static_assert(sizeof(yan_executable_v4) > 0, "executable_abi.h renamed the table type");
  os << "/* " << prefix << ".h - generated by yanc --emit=static-lib; do not edit.\n"
     << " *\n"
     << " * A Yan model compiled for " << target.triple << " (cpu " << target.cpu
     << ") as a static library: link the archive yanc wrote with this header\n"
     << " * and call the entry points of " << prefix
     << "_query(YAN_EXECUTABLE_ABI_VERSION) as the ABI\n"
     << " * below describes. args.weights = " << prefix << "_weights; state: "
     << macro << "_STATE_FLOATS zeroed floats;\n"
     << " * arena: " << macro << "_ARENA_BYTES bytes, 64-byte aligned; stats: " << macro
     << "_STATS_COUNTERS zeroed\n"
     << " * counters; thread_index 0, thread_count 1. Prefill takes at most " << macro
     << "_PREFILL_MAX_TOKENS\n"
     << " * tokens per call (feed longer prompts in chunks), decode exactly one.\n"
     << " * The code may use these CPU features: " << (required.empty() ? "-" : required)
     << "\n */\n";
  os << "#ifndef " << macro << "_H\n#define " << macro << "_H\n\n";
  os << "/* runtime/include/yan/executable_abi.h */\n" << kExecutableAbiText << "\n";
  os << "#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  define("ABI_VERSION", llvm::Twine(YAN_EXECUTABLE_ABI_VERSION) + "u");
  define("VOCAB_SIZE", llvm::Twine(c.vocabSize));
  define("HIDDEN_SIZE", llvm::Twine(c.hiddenSize));
  define("NUM_LAYERS", llvm::Twine(c.numLayers));
  define("NUM_PARTITIONS", llvm::Twine(c.numPartitions));
  define("ACTIVE_PARTITIONS", llvm::Twine(c.activePartitions));
  define("STATE_FLOATS", llvm::Twine(layout.stateFloats));
  define("STATS_COUNTERS", llvm::Twine(layout.statsCounters));
  define("PREFILL_MAX_TOKENS", llvm::Twine(prefillMax));
  define("ARENA_BYTES", llvm::Twine(arena) + "u");
  define("WEIGHTS_BYTES", llvm::Twine(weightBytes) + "u");
  define("TARGET_TRIPLE", "\"" + target.triple + "\"");
  define("REQUIRED_FEATURES", "\"" + required + "\"");
  os << "\n/* The weight segment (64-byte aligned, read only). */\n"
     << "extern const uint8_t " << prefix << "_weights[];\n"
     << "extern const uint64_t " << prefix << "_weights_size;\n\n"
     << "/* The entry table for abi_version, NULL for any other version. */\n"
     << "const " << executable << " *" << prefix << "_query(uint32_t abi_version);\n\n"
     << "#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n#endif /* " << macro
     << "_H */\n";
  return out;
}

std::unique_ptr<llvm::MemoryBuffer> buffer(const std::vector<uint8_t> &bytes,
                                           llvm::StringRef name) {
  return llvm::MemoryBuffer::getMemBufferCopy(
      llvm::StringRef(reinterpret_cast<const char *>(bytes.data()), bytes.size()), name);
}

} // namespace

bool isValidSymbolPrefix(llvm::StringRef name) {
  return !name.empty() && (llvm::isAlpha(name[0]) || name[0] == '_') &&
         llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

llvm::Expected<StaticLibrary>
buildStaticLibrary(llvm::Module &codeModule, const ModelLayout &layout,
                   const Checkpoint &checkpoint, const ResolvedTarget &target,
                   llvm::StringRef requiredFeatures, llvm::StringRef prefix) {
  if (!isValidSymbolPrefix(prefix))
    return llvm::createStringError("symbol prefix '" + prefix +
                 "' is not a C identifier (letters, digits, '_'; not starting with a digit)");
  llvm::Function *query = codeModule.getFunction(YAN_EXECUTABLE_QUERY_SYMBOL);
  if (!query)
    return llvm::createStringError("internal error: the generated module has no " YAN_EXECUTABLE_QUERY_SYMBOL);
  std::string queryName = (prefix + "_query").str();
  query->setName(queryName);
  if (query->getName() != queryName)
    return llvm::createStringError("internal error: the generated module already defines '" + queryName + "'");

  auto code = emitObject(codeModule, target);
  if (!code)
    return code.takeError();
  auto segment = weightSegment(layout, checkpoint);
  if (!segment)
    return segment.takeError();
  auto weights = weightObject(codeModule, *segment, target, prefix);
  if (!weights)
    return weights.takeError();

  std::string codeName = (prefix + "_code.o").str(), weightsName = (prefix + "_weights.o").str();
  std::vector<llvm::NewArchiveMember> members(2);
  members[0].Buf = buffer(*code, codeName);
  members[0].MemberName = codeName;
  members[1].Buf = buffer(*weights, weightsName);
  members[1].MemberName = weightsName;
  llvm::SmallString<0> archive;
  llvm::raw_svector_ostream os(archive);
  // Deterministic: zero timestamps, uid/gid and fixed member order.
  if (llvm::Error err = llvm::writeArchiveToStream(
          os, members, llvm::SymtabWritingMode::NormalSymtab, llvm::object::Archive::K_GNU,
          /*Deterministic=*/true, /*Thin=*/false))
    return std::move(err);

  StaticLibrary library;
  library.archive.assign(archive.begin(), archive.end());
  library.header = header(layout, checkpoint, target, requiredFeatures, prefix, segment->size());
  return library;
}

} // namespace yan
