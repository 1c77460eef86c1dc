//===- elf_loader.cpp - Loading a code image ------------------------------===//
//
// Every field is checked against the image size before use, and the loaded
// region is only written inside PT_LOAD segments, so a malformed image gives
// a BAD_ELF status, never a crash. (A *well-formed* image runs arbitrary code
// when queried: integrity is the sha256 check done before we get here.)
//
// Headers are copied out with memcpy rather than cast in place: the bytes may
// come from a caller's buffer with no particular alignment.
//
//===----------------------------------------------------------------------===//
#include "elf_loader.h"

#include "status.h"

#include <cerrno>
#include <cstring>
#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

namespace yan::rt {
namespace {

// yanc images have 2-4 PT_LOADs (r, rx, rw, relro); more means something
// else. Keeping a fixed bound also keeps the loader allocation-free.
constexpr size_t kMaxLoadSegments = 16;
// Bounds that keep address arithmetic far from overflow.
constexpr uint64_t kMaxImageSpan = uint64_t(1) << 32;
constexpr uint64_t kMaxSegmentAlign = uint64_t(1) << 20;

#ifndef R_AARCH64_RELATIVE
#define R_AARCH64_RELATIVE 1027
#endif
#ifndef R_RISCV_RELATIVE
#define R_RISCV_RELATIVE 3
#endif
#ifndef DT_RELR
#define DT_RELR 36
#endif

bool inside(uint64_t offset, uint64_t length, uint64_t total) {
  return offset <= total && length <= total - offset;
}

template <typename T> T readAt(const uint8_t *base, uint64_t offset) {
  T value;
  std::memcpy(&value, base + offset, sizeof(T));
  return value;
}

uint64_t alignDown(uint64_t value, uint64_t align) {
  return value & ~(align - 1);
}
uint64_t alignUp(uint64_t value, uint64_t align) {
  return (value + align - 1) & ~(align - 1);
}

const char *machineName(uint16_t machine) {
  switch (machine) {
  case EM_X86_64: return "x86_64";
  case EM_AARCH64: return "aarch64";
  case EM_RISCV: return "riscv64";
  default: return "an unsupported machine";
  }
}

// The one relocation type we apply: base + addend. 0 if unknown machine.
uint32_t relativeRelocation(uint16_t machine) {
  switch (machine) {
  case EM_X86_64: return R_X86_64_RELATIVE;
  case EM_AARCH64: return R_AARCH64_RELATIVE;
  case EM_RISCV: return R_RISCV_RELATIVE;
  default: return 0;
  }
}

yan_status_t badElf(const char *what) {
  return makeStatus(YAN_STATUS_BAD_ELF, "invalid code image: %s", what);
}

struct LoadSegment {
  uint64_t vaddr, memsz, offset, filesz;
  uint32_t flags;
};

class Loader {
public:
  Loader(const uint8_t *image, size_t size, uint16_t machine)
      : image_(image), size_(size), machine_(machine) {}
  ~Loader() {
    if (region_)
      ::munmap(region_, regionSize_);
  }

  yan_status_t load(LoadedImage *out) {
    YAN_RETURN_IF_ERROR(checkHeader());
    YAN_RETURN_IF_ERROR(readProgramHeaders());
    // Symbols first (from the file alone): an undefined symbol is the
    // clearest way to report an import, before its relocation is seen.
    uint64_t queryAddress = 0;
    YAN_RETURN_IF_ERROR(findQuery(&queryAddress));
    YAN_RETURN_IF_ERROR(mapSegments());
    YAN_RETURN_IF_ERROR(processDynamic());
    YAN_RETURN_IF_ERROR(protect());
    if (!out)
      return nullptr; // checkElfImageNoQuery: validated, mapped, unmapped again
    YAN_RETURN_IF_ERROR(query(queryAddress, out));
    out->region = region_;
    out->regionSize = regionSize_;
    region_ = nullptr; // ownership moves to `out`
    return nullptr;
  }

private:
  yan_status_t checkHeader() {
    if (size_ < sizeof(Elf64_Ehdr))
      return makeStatus(YAN_STATUS_BAD_ELF,
                        "invalid code image: %zu bytes, smaller than an ELF64 header",
                        size_);
    ehdr_ = readAt<Elf64_Ehdr>(image_, 0);
    if (std::memcmp(ehdr_.e_ident, ELFMAG, SELFMAG) != 0)
      return badElf("no ELF magic");
    if (ehdr_.e_ident[EI_CLASS] != ELFCLASS64)
      return badElf("not ELF64");
    if (ehdr_.e_ident[EI_DATA] != ELFDATA2LSB)
      return badElf("not little-endian");
    if (ehdr_.e_ident[EI_VERSION] != EV_CURRENT || ehdr_.e_version != EV_CURRENT)
      return badElf("unknown ELF version");
    if (ehdr_.e_type != ET_DYN)
      return badElf("not a position-independent shared object (ET_DYN)");
    if (ehdr_.e_machine != machine_)
      return makeStatus(YAN_STATUS_BAD_ELF,
                        "invalid code image: ELF machine %u (%s), this host needs %u (%s)",
                        ehdr_.e_machine, machineName(ehdr_.e_machine), machine_,
                        machineName(machine_));
    if (ehdr_.e_phentsize != sizeof(Elf64_Phdr) || ehdr_.e_phnum == 0 ||
        !inside(ehdr_.e_phoff, uint64_t(ehdr_.e_phnum) * sizeof(Elf64_Phdr), size_))
      return badElf("program headers out of bounds");
    if (ehdr_.e_shnum != 0 &&
        (ehdr_.e_shentsize != sizeof(Elf64_Shdr) ||
         !inside(ehdr_.e_shoff, uint64_t(ehdr_.e_shnum) * sizeof(Elf64_Shdr), size_)))
      return badElf("section headers out of bounds");
    return nullptr;
  }

  yan_status_t readProgramHeaders() {
    pageSize_ = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    uint64_t align = pageSize_;
    for (unsigned i = 0; i < ehdr_.e_phnum; ++i) {
      auto ph = readAt<Elf64_Phdr>(image_, ehdr_.e_phoff + i * sizeof(Elf64_Phdr));
      switch (ph.p_type) {
      case PT_LOAD:
        break;
      case PT_DYNAMIC:
        if (hasDynamic_)
          return badElf("more than one PT_DYNAMIC");
        if (ph.p_filesz % sizeof(Elf64_Dyn) != 0 ||
            !inside(ph.p_offset, ph.p_filesz, size_))
          return badElf("PT_DYNAMIC out of bounds");
        dynamic_ = ph;
        hasDynamic_ = true;
        continue;
      case PT_GNU_RELRO:
        relro_ = ph;
        hasRelro_ = true;
        continue;
      case PT_TLS:
        return badElf("image uses thread-local storage (PT_TLS), which the loader does not support");
      case PT_INTERP:
        return badElf("image requests a program interpreter (PT_INTERP); expected a shared object");
      default:
        continue; // PT_NOTE, PT_GNU_STACK, PT_PHDR, PT_GNU_EH_FRAME: not needed
      }
      if (numSegments_ == kMaxLoadSegments)
        return badElf("too many PT_LOAD segments");
      if (ph.p_memsz == 0)
        continue;
      if (ph.p_filesz > ph.p_memsz || !inside(ph.p_offset, ph.p_filesz, size_))
        return badElf("PT_LOAD file range out of bounds");
      if (ph.p_align > kMaxSegmentAlign || (ph.p_align & (ph.p_align - 1)) != 0)
        return badElf("PT_LOAD alignment is not a power of two <= 1 MiB");
      if (ph.p_vaddr > kMaxImageSpan || ph.p_memsz > kMaxImageSpan - ph.p_vaddr)
        return badElf("PT_LOAD address range too large");
      if (ph.p_flags & ~uint32_t(PF_R | PF_W | PF_X))
        return badElf("PT_LOAD has unknown flags");
      if ((ph.p_flags & PF_W) && (ph.p_flags & PF_X))
        return badElf("PT_LOAD is both writable and executable");
      if (numSegments_ > 0) {
        const LoadSegment &prev = segments_[numSegments_ - 1];
        if (ph.p_vaddr < prev.vaddr + prev.memsz)
          return badElf("PT_LOAD segments overlap or are not in address order");
      }
      if (ph.p_align > align)
        align = ph.p_align;
      segments_[numSegments_++] = {ph.p_vaddr, ph.p_memsz, ph.p_offset,
                                   ph.p_filesz, ph.p_flags};
    }
    if (numSegments_ == 0)
      return badElf("no PT_LOAD segments");
    alignment_ = align;
    minVaddr_ = alignDown(segments_[0].vaddr, align);
    const LoadSegment &last = segments_[numSegments_ - 1];
    spanEnd_ = alignUp(last.vaddr + last.memsz, pageSize_);
    return nullptr;
  }

  // True when [vaddr, vaddr + length) lies in one PT_LOAD's memory.
  bool loaded(uint64_t vaddr, uint64_t length, uint32_t needFlags = 0) const {
    for (size_t i = 0; i < numSegments_; ++i) {
      const LoadSegment &s = segments_[i];
      if (vaddr >= s.vaddr && inside(vaddr - s.vaddr, length, s.memsz) &&
          (s.flags & needFlags) == needFlags)
        return true;
    }
    return false;
  }

  uint8_t *at(uint64_t vaddr) const { return region_ + (vaddr - minVaddr_); }

  yan_status_t mapSegments() {
    uint64_t span = spanEnd_ - minVaddr_;
    // Over-allocate so the region can start on the image's largest alignment.
    regionSize_ = span + (alignment_ > pageSize_ ? alignment_ : 0);
    void *raw = ::mmap(nullptr, regionSize_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
      regionSize_ = 0;
      return makeStatus(YAN_STATUS_RESOURCE_EXHAUSTED,
                        "cannot map %llu bytes for the code image: %s",
                        static_cast<unsigned long long>(span), std::strerror(errno));
    }
    auto start = reinterpret_cast<uintptr_t>(raw);
    uintptr_t aligned = alignUp(start, alignment_);
    // Give back the slack on both sides; keep [aligned, aligned + span).
    if (aligned > start)
      ::munmap(raw, aligned - start);
    uintptr_t end = start + regionSize_;
    if (end > aligned + span)
      ::munmap(reinterpret_cast<void *>(aligned + span), end - (aligned + span));
    region_ = reinterpret_cast<uint8_t *>(aligned);
    regionSize_ = span;
    for (size_t i = 0; i < numSegments_; ++i) // .bss stays zero (fresh mapping)
      std::memcpy(at(segments_[i].vaddr), image_ + segments_[i].offset,
                  segments_[i].filesz);
    return nullptr;
  }

  yan_status_t processDynamic() {
    if (!hasDynamic_)
      return nullptr; // nothing to relocate (possible for trivial images)
    uint64_t rela = 0, relaSize = 0, relaEnt = sizeof(Elf64_Rela);
    uint64_t jmpRel = 0, jmpRelSize = 0, pltRel = DT_RELA;
    uint64_t strtab = 0, strsz = 0, firstNeeded = UINT64_MAX;
    bool hasRela = false, hasJmpRel = false;
    size_t count = dynamic_.p_filesz / sizeof(Elf64_Dyn);
    for (size_t i = 0; i < count; ++i) {
      auto dyn = readAt<Elf64_Dyn>(image_, dynamic_.p_offset + i * sizeof(Elf64_Dyn));
      if (dyn.d_tag == DT_NULL)
        break;
      uint64_t value = dyn.d_un.d_val;
      switch (dyn.d_tag) {
      case DT_NEEDED:
        if (firstNeeded == UINT64_MAX)
          firstNeeded = value;
        break;
      case DT_STRTAB: strtab = value; break;
      case DT_STRSZ: strsz = value; break;
      case DT_RELA: rela = value; hasRela = true; break;
      case DT_RELASZ: relaSize = value; break;
      case DT_RELAENT: relaEnt = value; break;
      case DT_JMPREL: jmpRel = value; hasJmpRel = true; break;
      case DT_PLTRELSZ: jmpRelSize = value; break;
      case DT_PLTREL: pltRel = value; break;
      case DT_REL:
      case DT_RELSZ:
        return badElf("image uses REL relocations; expected RELA");
      case DT_RELR:
        return badElf("image uses packed relative relocations (DT_RELR); "
                      "link without -z pack-relative-relocs");
      case DT_INIT:
      case DT_FINI:
        return badElf("image has initializers/finalizers (DT_INIT/DT_FINI), "
                      "which the loader does not run");
      case DT_INIT_ARRAYSZ:
      case DT_PREINIT_ARRAYSZ:
        if (value != 0)
          return badElf("image has initializers (DT_INIT_ARRAY), which the "
                        "loader does not run");
        break;
      default:
        break;
      }
    }
    if (firstNeeded != UINT64_MAX) {
      const char *name = "?";
      if (strsz && loaded(strtab, strsz) && firstNeeded < strsz &&
          std::memchr(at(strtab) + firstNeeded, 0, strsz - firstNeeded))
        name = reinterpret_cast<const char *>(at(strtab) + firstNeeded);
      return makeStatus(YAN_STATUS_ELF_HAS_IMPORTS,
                        "code image has imports: it needs shared library '%s'", name);
    }
    if (hasRela)
      YAN_RETURN_IF_ERROR(relocate(rela, relaSize, relaEnt));
    if (hasJmpRel && jmpRelSize) {
      if (pltRel != DT_RELA)
        return badElf("PLT relocations are not RELA");
      YAN_RETURN_IF_ERROR(relocate(jmpRel, jmpRelSize, sizeof(Elf64_Rela)));
    }
    return nullptr;
  }

  yan_status_t relocate(uint64_t table, uint64_t tableSize, uint64_t entrySize) {
    if (entrySize != sizeof(Elf64_Rela) || tableSize % sizeof(Elf64_Rela) != 0 ||
        !loaded(table, tableSize))
      return badElf("relocation table out of bounds");
    uint32_t relative = relativeRelocation(machine_);
    for (uint64_t i = 0; i < tableSize / sizeof(Elf64_Rela); ++i) {
      Elf64_Rela rel;
      std::memcpy(&rel, at(table) + i * sizeof(Elf64_Rela), sizeof(rel));
      uint32_t type = ELF64_R_TYPE(rel.r_info);
      if (type == 0) // R_*_NONE on all three machines
        continue;
      if (type != relative || ELF64_R_SYM(rel.r_info) != 0)
        return makeStatus(YAN_STATUS_ELF_HAS_IMPORTS,
                          "code image has imports: relocation %llu has type %u "
                          "(symbol %u); only relative relocations are supported",
                          static_cast<unsigned long long>(i), type,
                          static_cast<unsigned>(ELF64_R_SYM(rel.r_info)));
      if (!loaded(rel.r_offset, sizeof(uint64_t)))
        return makeStatus(YAN_STATUS_BAD_ELF,
                          "invalid code image: relocation %llu targets 0x%llx, "
                          "outside the loaded segments",
                          static_cast<unsigned long long>(i),
                          static_cast<unsigned long long>(rel.r_offset));
      uint64_t value = reinterpret_cast<uintptr_t>(region_) - minVaddr_ +
                       static_cast<uint64_t>(rel.r_addend);
      std::memcpy(at(rel.r_offset), &value, sizeof(value));
    }
    return nullptr;
  }

  // Finds yan_executable_query in .dynsym (section headers, read from the
  // file), and refuses any undefined symbol: an import we cannot satisfy.
  yan_status_t findQuery(uint64_t *address) {
    bool sawDynsym = false;
    for (unsigned i = 0; i < ehdr_.e_shnum; ++i) {
      auto sh = readAt<Elf64_Shdr>(image_, ehdr_.e_shoff + i * sizeof(Elf64_Shdr));
      if (sh.sh_type != SHT_DYNSYM)
        continue;
      sawDynsym = true;
      if (sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_size % sizeof(Elf64_Sym) != 0 ||
          !inside(sh.sh_offset, sh.sh_size, size_) || sh.sh_link >= ehdr_.e_shnum)
        return badElf(".dynsym out of bounds");
      auto strings = readAt<Elf64_Shdr>(image_, ehdr_.e_shoff + sh.sh_link * sizeof(Elf64_Shdr));
      if (strings.sh_type != SHT_STRTAB || !inside(strings.sh_offset, strings.sh_size, size_))
        return badElf(".dynstr out of bounds");
      const char *names = reinterpret_cast<const char *>(image_ + strings.sh_offset);
      for (uint64_t s = 1; s < sh.sh_size / sizeof(Elf64_Sym); ++s) {
        auto sym = readAt<Elf64_Sym>(image_, sh.sh_offset + s * sizeof(Elf64_Sym));
        if (sym.st_name >= strings.sh_size ||
            !std::memchr(names + sym.st_name, 0, strings.sh_size - sym.st_name))
          return badElf("symbol name out of bounds");
        const char *name = names + sym.st_name;
        if (sym.st_shndx == SHN_UNDEF) {
          if (*name)
            return makeStatus(YAN_STATUS_ELF_HAS_IMPORTS,
                              "code image has imports: undefined symbol '%s'", name);
          continue;
        }
        if (std::strcmp(name, YAN_EXECUTABLE_QUERY_SYMBOL) != 0)
          continue;
        if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || !loaded(sym.st_value, 1, PF_X))
          return badElf(YAN_EXECUTABLE_QUERY_SYMBOL
                        " is not a function in an executable segment");
        *address = sym.st_value;
      }
    }
    if (!sawDynsym)
      return badElf("no .dynsym section");
    if (!*address)
      return badElf("does not export " YAN_EXECUTABLE_QUERY_SYMBOL);
    return nullptr;
  }

  static int protection(uint32_t flags) {
    return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0) |
           ((flags & PF_X) ? PROT_EXEC : 0);
  }

  // Flags of every segment touching page [page, page + pageSize).
  uint32_t pageFlags(uint64_t page) const {
    uint32_t flags = 0;
    for (size_t i = 0; i < numSegments_; ++i) {
      const LoadSegment &s = segments_[i];
      if (s.vaddr < page + pageSize_ && s.vaddr + s.memsz > page)
        flags |= s.flags;
    }
    return flags;
  }

  yan_status_t protectRange(uint64_t begin, uint64_t end, uint32_t flags) {
    if (begin >= end)
      return nullptr;
    if ((flags & PF_W) && (flags & PF_X))
      return badElf("a page would be both writable and executable");
    if (::mprotect(at(begin), end - begin, protection(flags)) != 0)
      return makeStatus(YAN_STATUS_INTERNAL, "mprotect of the code image failed: %s",
                        std::strerror(errno));
    return nullptr;
  }

  yan_status_t protect() {
    // Gaps between segments become inaccessible; each segment gets its own
    // flags, pages shared by two segments the union of theirs.
    YAN_RETURN_IF_ERROR(protectRange(minVaddr_, spanEnd_, 0));
    for (size_t i = 0; i < numSegments_; ++i) {
      const LoadSegment &s = segments_[i];
      uint64_t first = alignDown(s.vaddr, pageSize_);
      uint64_t end = alignUp(s.vaddr + s.memsz, pageSize_);
      uint64_t last = end - pageSize_;
      YAN_RETURN_IF_ERROR(protectRange(first, first + pageSize_, pageFlags(first)));
      YAN_RETURN_IF_ERROR(protectRange(first + pageSize_, last, s.flags));
      if (last > first)
        YAN_RETURN_IF_ERROR(protectRange(last, end, pageFlags(last)));
    }
    // Like ld.so: RELRO pages become read-only once relocated.
    if (hasRelro_ && relro_.p_memsz) {
      uint64_t begin = alignDown(relro_.p_vaddr, pageSize_);
      uint64_t end = alignDown(relro_.p_vaddr + relro_.p_memsz, pageSize_);
      if (begin < minVaddr_ || end > spanEnd_)
        return badElf("PT_GNU_RELRO outside the loaded segments");
      if (begin < end && ::mprotect(at(begin), end - begin, PROT_READ) != 0)
        return makeStatus(YAN_STATUS_INTERNAL, "mprotect of RELRO failed: %s",
                          std::strerror(errno));
    }
#if !defined(__x86_64__) && !defined(__i386__)
    // Instruction caches are not coherent with data writes on AArch64/RISC-V.
    for (size_t i = 0; i < numSegments_; ++i)
      if (segments_[i].flags & PF_X)
        __builtin___clear_cache(reinterpret_cast<char *>(at(segments_[i].vaddr)),
                                reinterpret_cast<char *>(at(segments_[i].vaddr) +
                                                         segments_[i].memsz));
#endif
    return nullptr;
  }

  // Address inside the image -> vaddr, or UINT64_MAX when outside.
  uint64_t vaddrOf(const void *pointer) const {
    auto p = reinterpret_cast<uintptr_t>(pointer);
    auto base = reinterpret_cast<uintptr_t>(region_);
    if (p < base || p - base >= regionSize_)
      return UINT64_MAX;
    return p - base + minVaddr_;
  }

  yan_status_t query(uint64_t queryAddress, LoadedImage *out) {
    auto fn = reinterpret_cast<yan_executable_query_fn>(at(queryAddress));
    const yan_executable_v4 *table = fn(YAN_EXECUTABLE_ABI_VERSION);
    if (!table)
      return makeStatus(YAN_STATUS_UNSUPPORTED_ABI_VERSION,
                        "code image refuses executable ABI version %u",
                        YAN_EXECUTABLE_ABI_VERSION);
    // The table and its entries must point into the image: anything else
    // means a broken image, not something to call.
    uint64_t tableAddr = vaddrOf(table);
    if (tableAddr == UINT64_MAX || !loaded(tableAddr, sizeof(*table), PF_R))
      return badElf("executable table lies outside the image");
    if (table->abi_version != YAN_EXECUTABLE_ABI_VERSION)
      return makeStatus(YAN_STATUS_UNSUPPORTED_ABI_VERSION,
                        "code image reports executable ABI version %u, runtime has %u",
                        table->abi_version, YAN_EXECUTABLE_ABI_VERSION);
    if (table->entry_count < YAN_ENTRY_COUNT || table->entry_count > 1024)
      return makeStatus(YAN_STATUS_BAD_ELF,
                        "invalid code image: %u entry points, expected at least %u",
                        table->entry_count, static_cast<unsigned>(YAN_ENTRY_COUNT));
    uint64_t entriesAddr = vaddrOf(table->entries);
    if (entriesAddr == UINT64_MAX ||
        !loaded(entriesAddr, uint64_t(table->entry_count) * sizeof(yan_entry_fn_v3), PF_R))
      return badElf("entry table lies outside the image");
    // The plan (what the code was compiled for) is read by the runtime
    // (plan_check.cpp): it must lie in a readable segment of the image.
    uint64_t planAddr = vaddrOf(table->plan);
    if (planAddr == UINT64_MAX || !loaded(planAddr, sizeof(*table->plan), PF_R))
      return badElf("the code image's plan lies outside the image");
    for (uint32_t i = 0; i < table->entry_count; ++i) {
      // The learn entries (and any later ones) are optional: NULL when the
      // image was compiled without them (bundle.cpp checks that a bundle
      // declaring learning has them).
      if (i >= YAN_ENTRY_LEARN && !table->entries[i])
        continue;
      uint64_t entry = vaddrOf(reinterpret_cast<const void *>(table->entries[i]));
      if (entry == UINT64_MAX || !loaded(entry, 1, PF_X))
        return makeStatus(YAN_STATUS_BAD_ELF,
                          "invalid code image: entry %u is not in an executable segment", i);
    }
    out->executable = table;
    return nullptr;
  }

  const uint8_t *image_;
  size_t size_;
  uint16_t machine_;
  Elf64_Ehdr ehdr_{};
  LoadSegment segments_[kMaxLoadSegments];
  size_t numSegments_ = 0;
  bool hasDynamic_ = false, hasRelro_ = false;
  Elf64_Phdr dynamic_{}, relro_{};
  uint64_t pageSize_ = 4096, alignment_ = 4096, minVaddr_ = 0, spanEnd_ = 0;
  uint8_t *region_ = nullptr;
  size_t regionSize_ = 0;
};

} // namespace

uint16_t hostElfMachine() {
#if defined(__x86_64__)
  return EM_X86_64;
#elif defined(__aarch64__)
  return EM_AARCH64;
#elif defined(__riscv) && __riscv_xlen == 64
  return EM_RISCV;
#else
  return 0;
#endif
}

yan_status_t loadElfImage(const uint8_t *image, size_t size,
                          uint16_t expectedMachine, LoadedImage *out) {
  if (!image || !out)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "NULL code image");
  Loader loader(image, size, expectedMachine);
  return loader.load(out);
}

yan_status_t checkElfImageNoQuery(const uint8_t *image, size_t size,
                                  uint16_t expectedMachine) {
  if (!image)
    return makeStatus(YAN_STATUS_INVALID_ARGUMENT, "NULL code image");
  Loader loader(image, size, expectedMachine);
  return loader.load(nullptr);
}

void unloadElfImage(LoadedImage *image) {
  if (image->region)
    ::munmap(image->region, image->regionSize);
  *image = LoadedImage{};
}

} // namespace yan::rt
