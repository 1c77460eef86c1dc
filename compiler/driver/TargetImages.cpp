//===- TargetImages.cpp - Every target's code image, concurrently ---------===//
//
// Each target compiles on a thread of one pool of DriverOptions::jobs
// threads, in its own MLIRContext (importing the module again: lowering
// rewrites it in place, and an MLIR module cannot move between contexts)
// and its own LLVMContext (compileCodeImage's). The contexts share the pool
// for their own parallel passes, so --jobs bounds every thread of the
// compile. The images come back in target order, so the bundle's bytes do
// not depend on which thread finished first.
//
// Diagnostics of a target are kept until every target is done, then printed
// in target order, each line naming its target when there are several:
// concurrent targets never interleave, and the output is the same whatever
// the thread count.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/DriverStages.h"

#include "compiler/codegen/ObjectEmitter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <mutex>

namespace yan {
namespace {

/// One target's compile: its inputs, and what it produced.
struct TargetJob {
  const ResolvedTarget *target = nullptr;
  std::string label;       // "TRIPLE (CPU)", as diagnostics and progress name it
  std::string diagnostics; // whole lines, printed after every target is done
  std::optional<llvm::Expected<CodeImage>> image;
};

/// What a failed target says: its diagnostics were printed (DiagnosedFailure)
/// or its error is prefixed with its label when the bundle has several
/// targets.
llvm::Error targetError(llvm::Error error, const TargetJob &job, bool several) {
  if (!several || error.isA<DiagnosedFailure>())
    return error;
  return llvm::createStringError(job.label + ": " + llvm::toString(std::move(error)));
}

/// Several targets' errors as one: DiagnosedFailure when every target's
/// diagnostics said why, else the other errors' messages, one per line.
llvm::Error combineErrors(std::vector<llvm::Error> errors) {
  std::string messages;
  for (llvm::Error &error : errors)
    llvm::handleAllErrors(std::move(error), [](const DiagnosedFailure &) {},
                          [&](const llvm::ErrorInfoBase &info) {
                            messages += (messages.empty() ? "" : "\n") + info.message();
                          });
  if (messages.empty())
    return llvm::make_error<DiagnosedFailure>();
  return llvm::createStringError(messages);
}

/// Runs `job` on the calling (pool) thread.
void compileTarget(TargetJob &job, llvm::ThreadPoolInterface &pool, const Checkpoint &checkpoint,
                   llvm::StringRef modelDir, const DriverOptions &options,
                   const LearnOptions &learning, std::atomic<unsigned> &stepsDone,
                   unsigned totalSteps, bool several) {
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  context.setThreadPool(pool);
  std::string prefix = several ? job.label + ": " : "";
  mlir::ScopedDiagnosticHandler keep(&context, [&](mlir::Diagnostic &diag) {
    return formatError(diag, prefix, job.diagnostics);
  });
  auto module = importStage(context, checkpoint, modelDir);
  if (!module) {
    job.image.emplace(module.takeError());
    return;
  }
  auto step = [&](unsigned index) {
    unsigned done = index == 0 ? stepsDone.load() : ++stepsDone;
    if (options.progress)
      options.progress({"codegen", kCodeImageSteps[index], job.label,
                        static_cast<double>(done) / totalSteps});
  };
  job.image.emplace(
      compileCodeImage(**module, codegenOptionsFor(*job.target, options, learning), step));
  ++stepsDone; // the link step
}

} // namespace

llvm::Expected<std::vector<CodeImage>>
compileTargetImages(const Checkpoint &checkpoint, llvm::StringRef modelDir,
                    const DriverOptions &options, const LearnOptions &learning,
                    llvm::ThreadPoolInterface &pool) {
  // LLVM's target registry is filled once, here, before any thread uses it.
  initializeLLVMTargets();
  bool several = options.targets.size() > 1;
  std::vector<TargetJob> jobs(options.targets.size());
  for (auto [job, target] : llvm::zip(jobs, options.targets)) {
    job.target = &target;
    job.label = target.triple + " (" + target.cpu + ")";
  }
  unsigned totalSteps = static_cast<unsigned>(jobs.size() * std::size(kCodeImageSteps));
  std::atomic<unsigned> stepsDone{0};
  for (TargetJob &job : jobs)
    pool.async([&job, &pool, &checkpoint, modelDir, &options, &learning, &stepsDone,
                totalSteps, several] {
      compileTarget(job, pool, checkpoint, modelDir, options, learning, stepsDone,
                    totalSteps, several);
    });
  pool.wait();

  std::vector<CodeImage> images;
  std::vector<llvm::Error> errors;
  for (TargetJob &job : jobs) {
    printDiagnostics(options, job.diagnostics);
    if (*job.image)
      images.push_back(std::move(**job.image));
    else
      errors.push_back(targetError(job.image->takeError(), job, several));
  }
  if (!errors.empty())
    return combineErrors(std::move(errors));
  return images;
}

mlir::LogicalResult formatError(mlir::Diagnostic &diag, llvm::StringRef prefix,
                                std::string &text) {
  // As MLIR's default handler: errors only, without their notes.
  if (diag.getSeverity() != mlir::DiagnosticSeverity::Error)
    return mlir::failure();
  llvm::raw_string_ostream os(text);
  os << prefix;
  if (!llvm::isa<mlir::UnknownLoc>(diag.getLocation()))
    os << diag.getLocation() << ": ";
  os << "error: " << diag << "\n";
  return mlir::success();
}

void printDiagnostics(const DriverOptions &options, llvm::StringRef text) {
  if (text.empty())
    return;
  if (options.printDiagnostics)
    return options.printDiagnostics(text);
  llvm::errs() << text;
  llvm::errs().flush();
}

} // namespace yan
