// "vid": variational information distillation (Ahn et al., CVPR 2019) as
// RepDistiller's VIDLoss, one per intermediate stage k (stages 1 .. n-1,
// IntermediateStagePairs, maps pooled to one size). The teacher's map t
// [B, Ct, H, W] is modelled as a Gaussian with mean mu = a regressor of the
// student's map (1x1 convs without bias: Cs -> Ct, ReLU, Ct -> Ct, ReLU,
// Ct -> Ct) and a per-channel variance v = softplus(log_scale) + eps:
//   stage k = mean over B*Ct*H*W of 0.5 ((mu - t)^2 / v + log v),
//   total = sum over k.
// The trainable parts are the loss module's registered parameters,
// "stage<k>.regressor.{0,2,4}.weight" and "stage<k>.log_scale" (initialised
// to softplus^-1(init_var - eps)), so the trainer optimises them with the
// student (one SGD with the run's weight decay, as RepDistiller puts
// criterion_kd in its trainable list) and checkpoints them with the run.
#include <ATen/ATen.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "kd/status_macros.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

torch::nn::Conv2d Conv1x1(int64_t in, int64_t out) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).bias(false));
}

class VidLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "VID: Gaussian negative log-likelihood of the teacher's stage maps "
      "given a 1x1-conv regressor of the student's, with trainable "
      "per-channel variances, summed over stages 1..";
  static OptionSchema Schema() {
    return {{"init_var", OptionType::kDouble, "5",
             "initial variance of every channel (> eps)"},
            {"eps", OptionType::kDouble, "1e-5",
             "floor added to the softplus variance (> 0)"}};
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(
      const Options& options, const LossContext& context) {
    const double init_var = options.GetDouble("init_var");
    const double eps = options.GetDouble("eps");
    if (!(eps > 0) || !(init_var > eps)) {
      return absl::InvalidArgumentError(
          absl::StrCat("vid: needs eps > 0 and init_var > eps (found ", eps,
                       " and ", init_var, ")"));
    }
    const std::vector<int64_t>& cs = context.student_stage_channels;
    const std::vector<int64_t>& ct = context.teacher_stage_channels;
    const int64_t stages = IntermediateStageCount(cs.size(), ct.size());
    if (stages == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "vid: needs the stage feature maps of student and teacher (at least "
          "two stages each, to size its regressors) but the student has ",
          cs.size(), " and the teacher ", ct.size(),
          " (a TorchScript or cached teacher gives pooled features only)"));
    }
    std::unique_ptr<VidLoss> loss(new VidLoss(eps));
    const double log_scale = std::log(std::exp(init_var - eps) - 1);
    for (int64_t k = 1; k <= stages; ++k) {
      auto stage = std::make_shared<torch::nn::Module>();
      torch::nn::Sequential regressor(Conv1x1(cs[k], ct[k]), torch::nn::ReLU(),
                                      Conv1x1(ct[k], ct[k]), torch::nn::ReLU(),
                                      Conv1x1(ct[k], ct[k]));
      loss->regressors_.push_back(
          stage->register_module("regressor", regressor));
      loss->log_scales_.push_back(
          stage->register_parameter("log_scale", at::full({ct[k]}, log_scale)));
      loss->register_module(absl::StrCat("stage", k), stage);
      loss->student_channels_.push_back(cs[k]);
      loss->teacher_channels_.push_back(ct[k]);
    }
    return std::unique_ptr<Loss>(std::move(loss));
  }

  LossInputSet reads() const override {
    return {LossInput::kStudentStageMaps, LossInput::kTeacherStageMaps};
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    KD_ASSIGN_OR_RETURN(std::vector<StagePair> stages,
                        IntermediateStagePairs("vid", inputs));
    if (stages.size() != regressors_.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("vid: was built for ", regressors_.size(),
                       " stage pairs but got ", stages.size()));
    }
    LossValue value;
    for (size_t i = 0; i < stages.size(); ++i) {
      const StagePair& pair = stages[i];
      if (pair.student.size(1) != student_channels_[i] ||
          pair.teacher.size(1) != teacher_channels_[i]) {
        return absl::InvalidArgumentError(absl::StrCat(
            "vid: stage ", pair.stage, " maps ", ShapeText(pair.student),
            " and ", ShapeText(pair.teacher), " do not have the ",
            student_channels_[i], " and ", teacher_channels_[i],
            " channels its regressor was built for"));
      }
      const torch::Tensor mean = regressors_[i]->forward(pair.student);
      const torch::Tensor var =
          (at::softplus(log_scales_[i]) + eps_).view({1, -1, 1, 1});
      const torch::Tensor term =
          (0.5 * ((mean - pair.teacher).pow(2) / var + var.log())).mean();
      value.total = value.total.defined() ? value.total + term : term;
      value.terms.emplace_back(absl::StrCat("stage", pair.stage), term);
    }
    return value;
  }

 private:
  explicit VidLoss(double eps) : eps_(eps) {}
  double eps_;
  std::vector<torch::nn::Sequential> regressors_;
  std::vector<torch::Tensor> log_scales_;
  std::vector<int64_t> student_channels_, teacher_channels_;
};
KD_REGISTER(Loss, VidLoss, "vid");

}  // namespace
}  // namespace kd
