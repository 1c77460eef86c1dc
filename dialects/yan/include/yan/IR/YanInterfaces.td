//===- YanInterfaces.td - Partition activation as an op interface --------===//
#ifndef YAN_INTERFACES_TD
#define YAN_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Yan_WeightAccessOpInterface : OpInterface<"WeightAccessOpInterface"> {
  let cppNamespace = "::mlir::yan";
  let description = [{
    Partition activation is part of the IR's meaning. An op reading weights
    describes, for each weight operand, into how many equal partitions the
    weight is divided along its leading dimension and how many of them one
    token reads. A dense weight is one partition read once; an embedding table
    is V partitions (rows) of which a token reads one; a partitioned FFN weight
    is P partitions of which a token reads k. Weight bytes read per token is
    then bytes(weight) * partitionsPerToken / numPartitions.
  }];
  let methods = [
    InterfaceMethod<
      "Returns one entry per weight operand read by this op.",
      "::llvm::SmallVector<::mlir::yan::WeightAccess>", "getWeightAccesses">,
  ];
}

#endif // YAN_INTERFACES_TD
