//===- Learn.h - Session.learn and its result types -----------------------===//
#ifndef YAN_BINDINGS_PYTHON_LEARN_H
#define YAN_BINDINGS_PYTHON_LEARN_H

#include "Handles.h"

#include <pybind11/pybind11.h>

namespace yan::python {

/// yan.LearnResult, yan.LearnStep, Session.learn and Session.learn_loss.
void defineLearn(pybind11::module_ &module,
                 pybind11::class_<SessionHandle, std::shared_ptr<SessionHandle>> &session);

} // namespace yan::python

#endif
