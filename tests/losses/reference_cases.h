// Test helpers: the reference values of testdata/reference.json (written by
// testdata/gen_reference.py with PyTorch) and a runner that checks a loss
// plugin's terms and gradients against them in double precision.
#ifndef TESTS_LOSSES_REFERENCE_CASES_H_
#define TESTS_LOSSES_REFERENCE_CASES_H_

#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <string>

#include "losses/loss.h"

namespace kd {
namespace testing {

// The parsed reference file.
const nlohmann::json& ReferenceData();

// A nested JSON list of numbers as a double (or int64) tensor.
torch::Tensor TensorFromJson(const nlohmann::json& value,
                             torch::ScalarType dtype = torch::kDouble);

// Runs every reference case whose spec names `loss` through the registry
// and checks total, terms and gradients (relative tolerance 1e-9). Returns
// how many cases ran (a test expects > 0). A case may set the loss module's
// parameters ("parameters", by name; their gradients in "param_grads") and
// LossInputs::epoch ("epoch"); the LossContext's widths, stage channels and
// sizes are those of its inputs.
int CheckReferenceCases(const std::string& loss);

// Creates a registered loss (in double precision when `dtype` is double).
std::shared_ptr<Loss> MakeLoss(const std::string& spec,
                               const LossContext& context = {},
                               torch::ScalarType dtype = torch::kDouble);

// True if every element of t is finite.
bool AllFinite(const torch::Tensor& t);

// Computes `loss` on `inputs` with a gradient-tracking copy of
// inputs.student_embed and expects success, a finite total and a finite
// gradient with respect to the student embeddings (the degenerate-input
// contract of every loss).
void ExpectFiniteValueAndStudentGradient(Loss& loss, LossInputs inputs);

}  // namespace testing
}  // namespace kd

#endif  // TESTS_LOSSES_REFERENCE_CASES_H_
