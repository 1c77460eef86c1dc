//===- YanDialect.h - The yan dialect ----------------------------*- C++ -*-===//
#ifndef YAN_IR_YANDIALECT_H
#define YAN_IR_YANDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "yan/IR/YanOpsDialect.h.inc"

#endif // YAN_IR_YANDIALECT_H
