#include "losses/loss_set.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "kd/base/precision.h"
#include "kd/status_macros.h"

namespace kd {

absl::StatusOr<std::shared_ptr<LossSet>> LossSet::Create(
    const std::vector<std::string>& specs, const LossContext& context) {
  std::shared_ptr<LossSet> set(new LossSet());
  for (const std::string& joined : specs) {
    for (absl::string_view one :
         absl::StrSplit(joined, ';', absl::SkipWhitespace())) {
      const std::string where = absl::StrCat("loss spec '", one, "': ");
      absl::StatusOr<PluginSpec> parsed = ParsePluginSpec(one);
      if (!parsed.ok()) return WithPrefix(where, parsed.status());
      WeightedLoss entry;
      if (std::optional<std::string> w = parsed->Take("weight")) {
        if (!absl::SimpleAtod(*w, &entry.weight) ||
            !std::isfinite(entry.weight)) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, "weight '", *w, "' is not a finite number"));
        }
      }
      entry.spec = parsed->name;
      for (size_t i = 0; i < parsed->args.size(); ++i) {
        absl::StrAppend(&entry.spec, i == 0 ? ":" : ",", parsed->args[i].first,
                        "=", parsed->args[i].second);
      }
      absl::StatusOr<std::unique_ptr<Loss>> loss =
          Loss::Registry::Global().Create(*parsed, context);
      if (!loss.ok()) return WithPrefix(where, loss.status());
      entry.name = parsed->name;
      for (int n = 2; set->named_children().contains(entry.name); ++n) {
        entry.name = absl::StrCat(parsed->name, "_", n);
      }
      entry.loss = set->register_module(
          entry.name, std::shared_ptr<Loss>(std::move(loss).value()));
      set->losses_.push_back(std::move(entry));
    }
  }
  if (set->losses_.empty()) {
    return absl::InvalidArgumentError(
        "no loss given: expected at least one spec such as 'ce' or "
        "'ce:weight=1;ega:node=0.8,edge=0.24'");
  }
  return set;
}

namespace {

BackboneOutput BackboneInFloat32(const BackboneOutput& in) {
  BackboneOutput out;
  out.pooled = ToFloat32(in.pooled);
  out.logits = ToFloat32(in.logits);
  for (const torch::Tensor& t : in.stage_features) {
    out.stage_features.push_back(ToFloat32(t));
  }
  for (const torch::Tensor& t : in.preact_stage_features) {
    out.preact_stage_features.push_back(ToFloat32(t));
  }
  return out;
}

// `in` with every floating tensor in float32 (differentiable casts; float32
// tensors themselves); the backbone outputs are copied to `student` and
// `teacher`.
LossInputs InFloat32(const LossInputs& in, BackboneOutput* student,
                     BackboneOutput* teacher) {
  LossInputs out = in;
  out.student_embed = ToFloat32(in.student_embed);
  out.teacher_embed = ToFloat32(in.teacher_embed);
  out.student_logits = ToFloat32(in.student_logits);
  out.teacher_logits = ToFloat32(in.teacher_logits);
  if (in.student) {
    *student = BackboneInFloat32(*in.student);
    out.student = student;
  }
  if (in.teacher) {
    *teacher = BackboneInFloat32(*in.teacher);
    out.teacher = teacher;
  }
  return out;
}

}  // namespace

absl::StatusOr<LossSetValue> LossSet::Compute(
    const LossInputs& given, const torch::Tensor& gradients_at) {
  // Every loss computes in fp32, whatever its inputs were computed in.
  NoAutocastScope fp32;
  BackboneOutput student, teacher, all_student, all_teacher;
  const LossInputs inputs = InFloat32(given, &student, &teacher);
  LossInputs whole_batch;
  if (given.whole_batch) {
    whole_batch = InFloat32(*given.whole_batch, &all_student, &all_teacher);
    whole_batch.whole_batch = nullptr;
  }
  LossSetValue result;
  std::vector<std::pair<std::string, torch::Tensor>> attached;
  const auto check_finite = [](const std::string& loss, const std::string& term,
                               const torch::Tensor& t) -> absl::Status {
    if (!t.defined() || t.numel() != 1) {
      return absl::InternalError(
          absl::StrCat("loss '", loss, "' term '", term, "' is not a scalar"));
    }
    const double v = t.item<double>();
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "loss '", loss, "' term '", term, "' is not finite (", v, ")"));
    }
    return absl::OkStatus();
  };
  for (const WeightedLoss& entry : losses_) {
    const bool whole = given.whole_batch && entry.loss->couples_batch();
    absl::StatusOr<LossValue> value =
        entry.loss->Compute(whole ? whole_batch : inputs);
    if (!value.ok()) {
      return WithPrefix(absl::StrCat("loss '", entry.name, "': "),
                        value.status());
    }
    KD_RETURN_IF_ERROR(check_finite(entry.name, "total", value->total));
    attached.emplace_back(entry.name, value->total);
    for (const auto& [term, tensor] : value->terms) {
      KD_RETURN_IF_ERROR(check_finite(entry.name, term, tensor));
      attached.emplace_back(absl::StrCat(entry.name, "/", term), tensor);
    }
    const torch::Tensor weighted = value->total * entry.weight;
    result.total = result.total.defined() ? result.total + weighted : weighted;
  }
  if (gradients_at.defined()) {
    const auto norm_of = [&](const torch::Tensor& t) {
      if (!t.requires_grad()) return 0.0;
      const torch::Tensor grad = torch::autograd::grad(
          {t}, {gradients_at}, /*grad_outputs=*/{}, /*retain_graph=*/true,
          /*create_graph=*/false, /*allow_unused=*/true)[0];
      return grad.defined() ? grad.norm().item<double>() : 0.0;
    };
    result.gradient_norms.emplace_back("grad/total", norm_of(result.total));
    for (const auto& [name, t] : attached) {
      result.gradient_norms.emplace_back("grad/" + name, norm_of(t));
    }
  }
  for (const auto& [name, t] : attached) {
    result.terms.emplace_back(name, t.detach());
  }
  return result;
}

LossInputSet LossSet::reads() const {
  LossInputSet inputs;
  for (const WeightedLoss& entry : losses_) inputs.Add(entry.loss->reads());
  return inputs;
}

absl::Status LossSet::CheckInputs(const LossInputSet& available,
                                  absl::string_view why) const {
  for (const WeightedLoss& entry : losses_) {
    const std::vector<LossInput> missing =
        entry.loss->reads().MissingFrom(available);
    if (missing.empty()) continue;
    std::vector<std::string> names;
    for (LossInput input : missing) names.push_back(LossInputName(input));
    return absl::InvalidArgumentError(absl::StrCat(
        "loss '", entry.spec, "' reads ", absl::StrJoin(names, ", "),
        ", which this run does not ", "provide: ", why));
  }
  return absl::OkStatus();
}

std::string LossSet::Describe() const {
  std::string out;
  for (const WeightedLoss& entry : losses_) {
    absl::StrAppend(&out, out.empty() ? "" : " + ", entry.weight, " * ",
                    entry.spec);
  }
  return out;
}

std::string LossSet::Help() {
  return absl::StrCat(
      Loss::Registry::Global().Help(),
      "  every loss spec also takes weight (double, default 1): the loss's "
      "factor in the total; separate several specs with ';'\n");
}

}  // namespace kd
