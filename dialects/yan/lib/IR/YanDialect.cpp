//===- YanDialect.cpp - The yan dialect -----------------------------------===//
#include "yan/IR/YanDialect.h"
#include "yan/IR/YanOps.h"

using namespace mlir;
using namespace mlir::yan;

#include "yan/IR/YanOpsDialect.cpp.inc"

void YanDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "yan/IR/YanOps.cpp.inc"
      >();
}
