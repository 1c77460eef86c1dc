//===- Learn.cpp - Session.learn and its result types ---------------------===//
//
// Session.learn takes every field of yan_learn_options_t as a keyword; a
// hyperparameter left out keeps the runtime's default (its YAN_LEARN_SET_*
// bit stays clear), so Python and C callers get the same defaults from one
// place. The per-step callback (on_step) is not exposed as a Python
// callable: it runs inside the learn step, where the C API forbids calls on
// the bundle, and a Python callback could make them. Instead record_steps
// collects each step's loss, gradient norm and choice (and, with
// step_gradients, YAN_LEARN_FLAG_STEP_GRADIENTS' gradients) in C++ and
// returns them in LearnResult.step_log.
//
//===----------------------------------------------------------------------===//
#include "Learn.h"
#include "Errors.h"
#include "Tokens.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

namespace py = pybind11;

namespace yan::python {

namespace {

struct LearnStep {
  uint32_t step;
  float loss, gradNorm;
  py::array_t<int32_t> chosen; // [L, M], -1 for unused slots
  py::object gradients;        // [L, M, 3*F*D] float32 or None
};

struct LearnResult {
  float lossBefore, lossAfter, gradNorm;
  uint32_t steps, partitionsTouched;
  py::array_t<int32_t> chosen; // [L, M] of the last step
  uint64_t routedPairs;
  py::list stepLog;            // LearnStep per step when record_steps
};

/// What the on_step callback saw, copied without the GIL.
struct StepCopy {
  uint32_t step;
  float loss, gradNorm;
  int64_t layers, slots;
  std::vector<int32_t> chosen;
  uint64_t floatsPerSlot = 0;
  std::vector<float> gradients;
};

struct StepSink {
  bool gradients;
  std::vector<StepCopy> steps;
};

void onStep(void *user, const yan_learn_step_t *step) {
  auto *sink = static_cast<StepSink *>(user);
  StepCopy copy{step->step, step->loss, step->grad_norm, step->num_layers,
                step->slots_per_layer, {}, 0, {}};
  size_t slots = static_cast<size_t>(step->num_layers * step->slots_per_layer);
  copy.chosen.assign(step->chosen, step->chosen + slots);
  if (sink->gradients && step->gradients) {
    copy.floatsPerSlot = step->floats_per_slot;
    copy.gradients.assign(step->gradients, step->gradients + slots * step->floats_per_slot);
  }
  sink->steps.push_back(std::move(copy));
}

py::array_t<int32_t> chosenArray(const int32_t *chosen, int64_t layers, int64_t slots) {
  py::array_t<int32_t> out({static_cast<py::ssize_t>(layers), static_cast<py::ssize_t>(slots)});
  std::copy(chosen, chosen + layers * slots, out.mutable_data());
  return out;
}

uint32_t count(int64_t value, const char *name) {
  if (value < 0 || value > int64_t(UINT32_MAX))
    fail(YAN_STATUS_INVALID_ARGUMENT,
         std::string(name) + " must be in [0, 2^32), not " + std::to_string(value));
  return static_cast<uint32_t>(value);
}

void setOption(yan_learn_options_t &o, double yan_learn_options_t::*field, uint32_t bit,
               const std::optional<double> &value) {
  if (!value)
    return;
  o.*field = *value;
  o.set |= bit;
}

LearnResult learn(SessionHandle &s, const py::handle &tokens, int64_t steps,
                  const std::string &optimizer, int64_t learnPartitions,
                  std::optional<double> lr, std::optional<double> momentum,
                  std::optional<double> beta1, std::optional<double> beta2,
                  std::optional<double> eps, std::optional<double> weightDecay,
                  std::optional<double> maxNorm, bool lossAfter, bool recordSteps,
                  bool stepGradients) {
  std::vector<int32_t> ids = toTokens(tokens);
  yan_learn_options_t o = {};
  if (optimizer == "sgd")
    o.optimizer = YAN_LEARN_SGD;
  else if (optimizer == "adamw")
    o.optimizer = YAN_LEARN_ADAMW;
  else
    fail(YAN_STATUS_INVALID_ARGUMENT, "optimizer must be 'sgd' or 'adamw', not '" + optimizer + "'");
  o.steps = count(steps, "steps");
  o.learn_partitions = count(learnPartitions, "learn_partitions");
  setOption(o, &yan_learn_options_t::lr, YAN_LEARN_SET_LR, lr);
  setOption(o, &yan_learn_options_t::momentum, YAN_LEARN_SET_MOMENTUM, momentum);
  setOption(o, &yan_learn_options_t::beta1, YAN_LEARN_SET_BETA1, beta1);
  setOption(o, &yan_learn_options_t::beta2, YAN_LEARN_SET_BETA2, beta2);
  setOption(o, &yan_learn_options_t::eps, YAN_LEARN_SET_EPS, eps);
  setOption(o, &yan_learn_options_t::weight_decay, YAN_LEARN_SET_WEIGHT_DECAY, weightDecay);
  setOption(o, &yan_learn_options_t::max_norm, YAN_LEARN_SET_MAX_NORM, maxNorm);
  if (!lossAfter)
    o.flags |= YAN_LEARN_FLAG_NO_LOSS_AFTER;
  StepSink sink{stepGradients, {}};
  if (recordSteps || stepGradients) {
    o.on_step = &onStep;
    o.on_step_user = &sink;
    if (stepGradients)
      o.flags |= YAN_LEARN_FLAG_STEP_GRADIENTS;
  }

  yan_learn_result_t r;
  std::vector<int32_t> chosen;
  yan_status_t status;
  {
    py::gil_scoped_release release;
    // Learning changes the bundle's weights: nothing else may run on it.
    std::unique_lock<std::shared_mutex> exclusive(s.bundle->lock);
    std::lock_guard<std::mutex> own(s.lock);
    status = yan_session_learn(s.session, ids.data(), ids.size(), &o, &r);
    if (!status) // r.chosen lives until the session's next learn call
      chosen.assign(r.chosen, r.chosen + r.num_layers * r.slots_per_layer);
  }
  check(status);

  LearnResult out{r.loss_before, r.loss_after, r.grad_norm, r.steps, r.partitions_touched,
                  chosenArray(chosen.data(), r.num_layers, r.slots_per_layer), r.routed_pairs,
                  py::list()};
  for (const StepCopy &c : sink.steps) {
    py::object gradients = py::none();
    if (!c.gradients.empty()) {
      py::array_t<float> g({static_cast<py::ssize_t>(c.layers), static_cast<py::ssize_t>(c.slots),
                            static_cast<py::ssize_t>(c.floatsPerSlot)});
      std::copy(c.gradients.begin(), c.gradients.end(), g.mutable_data());
      gradients = std::move(g);
    }
    out.stepLog.append(LearnStep{c.step, c.loss, c.gradNorm,
                                 chosenArray(c.chosen.data(), c.layers, c.slots), gradients});
  }
  return out;
}

float learnLoss(SessionHandle &s, const py::handle &tokens) {
  std::vector<int32_t> ids = toTokens(tokens);
  float loss = 0;
  yan_status_t status;
  {
    py::gil_scoped_release release;
    std::shared_lock<std::shared_mutex> shared(s.bundle->lock);
    std::lock_guard<std::mutex> own(s.lock);
    status = yan_session_learn_loss(s.session, ids.data(), ids.size(), &loss);
  }
  check(status);
  return loss;
}

} // namespace

void defineLearn(py::module_ &module,
                 py::class_<SessionHandle, std::shared_ptr<SessionHandle>> &session) {
  py::class_<LearnStep>(module, "LearnStep", "One accepted learn step (record_steps=True).")
      .def_readonly("step", &LearnStep::step)
      .def_readonly("loss", &LearnStep::loss)
      .def_readonly("grad_norm", &LearnStep::gradNorm, "Before clipping.")
      .def_readonly("chosen", &LearnStep::chosen,
                    "int32 [L, M]: the partitions trained per layer, ascending; -1 unused.")
      .def_readonly("gradients", &LearnStep::gradients,
                    "float32 [L, M, 3*F*D] pre-clip gradients per slot (w1 [F,D], w3 [F,D], "
                    "w2 [D,F]) with step_gradients=True, else None.")
      .def("__repr__", [](const LearnStep &s) {
        return "LearnStep(step=" + std::to_string(s.step) +
               ", loss=" + std::string(py::repr(py::float_(s.loss))) + ")";
      });
  py::class_<LearnResult>(module, "LearnResult", "What Session.learn did (yan_learn_result_t).")
      .def_readonly("loss_before", &LearnResult::lossBefore, "The first step's loss.")
      .def_readonly("loss_after", &LearnResult::lossAfter,
                    "The sample's loss after the last step (NaN with loss_after=False).")
      .def_readonly("grad_norm", &LearnResult::gradNorm, "The last step's, before clipping.")
      .def_readonly("steps", &LearnResult::steps)
      .def_readonly("partitions_touched", &LearnResult::partitionsTouched)
      .def_readonly("chosen", &LearnResult::chosen, "int32 [L, M] of the last step.")
      .def_readonly("routed_pairs", &LearnResult::routedPairs,
                    "(position, chosen partition) pairs of the steps' weight gradients, "
                    "summed over the steps (yan_learn_result_t.routed_pairs).")
      .def_readonly("step_log", &LearnResult::stepLog, "LearnStep per step (record_steps).")
      .def("__repr__", [](const LearnResult &r) {
        return "LearnResult(steps=" + std::to_string(r.steps) +
               ", loss_before=" + std::string(py::repr(py::float_(r.lossBefore))) +
               ", loss_after=" + std::string(py::repr(py::float_(r.lossAfter))) + ")";
      });

  session.def("learn", &learn, py::arg("tokens"), py::kw_only(), py::arg("steps") = 1,
              py::arg("optimizer") = "sgd", py::arg("learn_partitions") = 0,
              py::arg("lr") = py::none(), py::arg("momentum") = py::none(),
              py::arg("beta1") = py::none(), py::arg("beta2") = py::none(),
              py::arg("eps") = py::none(), py::arg("weight_decay") = py::none(),
              py::arg("max_norm") = py::none(), py::arg("loss_after") = true,
              py::arg("record_steps") = false, py::arg("step_gradients") = false,
              "Learn steps on one sample (yan_session_learn): trains the partitions it routed "
              "to most; the bundle's weights change for all its sessions. Hyperparameters "
              "left out keep the runtime's (PyTorch's) defaults.");
  session.def("learn_loss", &learnLoss, py::arg("tokens"),
              "The sample's mean cross-entropy from the current state; nothing changes.");
}

} // namespace yan::python
