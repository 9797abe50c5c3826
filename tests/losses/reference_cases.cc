#include "tests/losses/reference_cases.h"

#include <ATen/ATen.h>

#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "kd/options.h"
#include "losses/loss.h"

namespace kd {
namespace testing {
namespace {

void Flatten(const nlohmann::json& value, std::vector<double>* out,
             std::vector<int64_t>* shape, size_t depth) {
  if (value.is_array()) {
    if (shape->size() == depth) shape->push_back(value.size());
    for (const auto& v : value) Flatten(v, out, shape, depth + 1);
  } else {
    out->push_back(value.get<double>());
  }
}

void ExpectClose(const std::string& what, const torch::Tensor& actual,
                 const torch::Tensor& expected) {
  ASSERT_TRUE(actual.defined()) << what << " is undefined";
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  const double scale = std::max(1.0, expected.abs().max().item<double>());
  const double error =
      (actual.to(torch::kDouble) - expected).abs().max().item<double>();
  EXPECT_LE(error, 1e-9 * scale) << what << "\nactual:\n"
                                 << actual << "\nexpected:\n"
                                 << expected;
}

}  // namespace

const nlohmann::json& ReferenceData() {
  static const nlohmann::json* data = [] {
    std::ifstream in("tests/losses/testdata/reference.json");
    CHECK(in) << "cannot open tests/losses/testdata/reference.json";
    auto* json = new nlohmann::json();
    in >> *json;
    return json;
  }();
  return *data;
}

torch::Tensor TensorFromJson(const nlohmann::json& value,
                             torch::ScalarType dtype) {
  std::vector<double> flat;
  std::vector<int64_t> shape;
  Flatten(value, &flat, &shape, 0);
  return torch::tensor(flat, torch::kDouble).reshape(shape).to(dtype);
}

int CheckReferenceCases(const std::string& loss) {
  int ran = 0;
  for (const nlohmann::json& c : ReferenceData()["cases"]) {
    const std::string spec = c["spec"];
    const std::string name = spec.substr(0, spec.find(':'));
    if (name != loss) continue;
    ++ran;
    SCOPED_TRACE(c["name"].get<std::string>());
    std::map<std::string, torch::Tensor> tensors;
    for (const auto& [key, value] : c["inputs"].items()) {
      tensors[key] = TensorFromJson(value).requires_grad_(
          absl::StartsWith(key, "student"));
    }
    LossInputs inputs;
    LossContext context;
    BackboneOutput student, teacher;
    for (const auto& [key, t] : tensors) {
      if (key == "student_embed") inputs.student_embed = t;
      if (key == "teacher_embed") inputs.teacher_embed = t;
      if (key == "student_logits") inputs.student_logits = t;
      if (key == "teacher_logits") inputs.teacher_logits = t;
      if (key == "student_pooled") student.pooled = t;
      if (key == "teacher_pooled") teacher.pooled = t;
      for (auto [prefix, output] :
           {std::make_pair("student_stage", &student),
            std::make_pair("teacher_stage", &teacher)}) {
        int stage;
        if (absl::StartsWith(key, prefix) &&
            absl::SimpleAtoi(key.substr(strlen(prefix)), &stage)) {
          if (output->stage_features.size() <= static_cast<size_t>(stage)) {
            output->stage_features.resize(stage + 1);
          }
          output->stage_features[stage] = t;
        }
      }
    }
    inputs.student = &student;
    inputs.teacher = &teacher;
    for (const auto& [key, value] : c["int_inputs"].items()) {
      const torch::Tensor t = TensorFromJson(value, torch::kLong);
      if (key == "labels") inputs.labels = t;
      if (key == "indices") inputs.indices = t;
    }
    if (inputs.student_embed.defined()) {
      context.student_embed_dim = inputs.student_embed.size(1);
      context.teacher_embed_dim = inputs.teacher_embed.size(1);
    }
    if (student.pooled.defined()) {
      context.student_feature_dim = student.pooled.size(1);
      context.teacher_feature_dim = teacher.pooled.size(1);
    }
    for (const torch::Tensor& map : student.stage_features) {
      context.student_stage_channels.push_back(map.size(1));
      context.student_stage_sizes.push_back(map.size(2));
    }
    for (const torch::Tensor& map : teacher.stage_features) {
      context.teacher_stage_channels.push_back(map.size(1));
      context.teacher_stage_sizes.push_back(map.size(2));
    }
    if (c.contains("epoch")) inputs.epoch = c["epoch"].get<int64_t>();
    auto created = Loss::Registry::Global().Create(spec, context);
    EXPECT_TRUE(created.ok()) << spec << ": " << created.status();
    if (!created.ok()) continue;
    std::shared_ptr<Loss> module(std::move(created).value());
    module->to(torch::kDouble);
    // The loss module's parameters (heads, regressors) as the case sets them.
    std::map<std::string, torch::Tensor> parameters;
    for (const auto& item : module->named_parameters()) {
      parameters[item.key()] = item.value();
    }
    if (c.contains("parameters")) {
      EXPECT_EQ(parameters.size(), c["parameters"].size());
      at::NoGradGuard no_grad;
      for (const auto& [name, value] : c["parameters"].items()) {
        EXPECT_EQ(parameters.count(name), 1u) << "no parameter " << name;
        if (parameters.count(name) == 0) continue;
        parameters[name].copy_(TensorFromJson(value));
      }
    }
    auto value = module->Compute(inputs);
    EXPECT_TRUE(value.ok()) << spec << ": " << value.status();
    if (!value.ok()) continue;
    ExpectClose(
        "total", value->total,
        torch::tensor(c["total"].get<double>(), torch::kDouble).reshape({}));
    std::map<std::string, torch::Tensor> terms(value->terms.begin(),
                                               value->terms.end());
    for (const auto& [term, expected] : c["terms"].items()) {
      EXPECT_EQ(terms.count(term), 1u) << "missing term " << term;
      if (terms.count(term) == 0) continue;
      ExpectClose(
          term, terms[term],
          torch::tensor(expected.get<double>(), torch::kDouble).reshape({}));
    }
    EXPECT_EQ(terms.size(), c["terms"].size());
    value->total.backward();
    for (const auto& [key, expected] : c["grads"].items()) {
      ExpectClose(absl::StrCat("d total / d ", key), tensors[key].grad(),
                  TensorFromJson(expected));
    }
    if (c.contains("param_grads")) {
      for (const auto& [name, expected] : c["param_grads"].items()) {
        if (parameters.count(name) == 0) continue;
        ExpectClose(absl::StrCat("d total / d ", name), parameters[name].grad(),
                    TensorFromJson(expected));
      }
    }
  }
  return ran;
}

std::shared_ptr<Loss> MakeLoss(const std::string& spec,
                               const LossContext& context,
                               torch::ScalarType dtype) {
  auto created = Loss::Registry::Global().Create(spec, context);
  CHECK(created.ok()) << spec << ": " << created.status();
  std::shared_ptr<Loss> loss(std::move(created).value());
  loss->to(dtype);
  return loss;
}

bool AllFinite(const torch::Tensor& t) {
  return t.defined() && at::isfinite(t).all().item<bool>();
}

void ExpectFiniteValueAndStudentGradient(Loss& loss, LossInputs inputs) {
  inputs.student_embed = inputs.student_embed.clone().requires_grad_(true);
  auto value = loss.Compute(inputs);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_TRUE(AllFinite(value->total));
  value->total.backward();
  EXPECT_TRUE(AllFinite(inputs.student_embed.grad()));
}

}  // namespace testing
}  // namespace kd
