// "fitnet": FitNets hints as in RepDistiller. stage=-1 (default): mean
// squared error between student and teacher embeddings (same width).
// stage>=0: MSE between the teacher's feature map of that stage and the
// student's passed through a trainable regressor (RepDistiller's ConvReg):
// a conv chosen from the student/teacher spatial sizes (s = 2t: 3x3 stride
// 2; 2s = t: 4x4 transposed conv stride 2; s >= t: (1+s-t)x(1+s-t) conv,
// i.e. 1x1 for equal sizes), then BatchNorm, then ReLU (unless relu=false).
// The sizes come from LossContext::*_stage_sizes; when unknown, equal sizes
// are assumed and a mismatch is reported at the first batch.
#include <ATen/ATen.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include "absl/strings/str_cat.h"
#include "kd/status_macros.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

class FitnetLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "FitNets hint: MSE of embeddings, or of a stage's feature maps through "
      "a trainable conv+BN(+ReLU) regressor (RepDistiller's ConvReg)";
  static OptionSchema Schema() {
    return {{"stage", OptionType::kInt, "-1",
             "-1: MSE of student/teacher embeddings; k >= 0: hint on stage k's "
             "feature maps through the regressor (RepDistiller's hint layer is "
             "2)"},
            {"preact", OptionType::kBool, "false",
             "use pre-activation stage features"},
            {"relu", OptionType::kBool, "true",
             "ReLU after the regressor's BatchNorm (ConvReg's use_relu)"}};
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(
      const Options& options, const LossContext& context) {
    const int64_t stage = options.GetInt("stage");
    std::unique_ptr<FitnetLoss> loss(new FitnetLoss(
        stage, options.GetBool("preact"), options.GetBool("relu")));
    if (stage < -1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "fitnet: stage must be -1 or a stage index (found ", stage, ")"));
    }
    if (stage >= 0) KD_RETURN_IF_ERROR(loss->BuildRegressor(context));
    return std::unique_ptr<Loss>(std::move(loss));
  }

  LossInputSet reads() const override {
    if (stage_ < 0) {
      return {LossInput::kStudentEmbedding, LossInput::kTeacherEmbedding};
    }
    if (preact_) {
      return {LossInput::kStudentPreactMaps, LossInput::kTeacherPreactMaps};
    }
    return {LossInput::kStudentStageMaps, LossInput::kTeacherStageMaps};
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    LossValue value;
    if (stage_ < 0) {
      KD_ASSIGN_OR_RETURN(EmbeddingPair x,
                          StudentTeacherEmbeddings("fitnet", inputs, true));
      value.total = at::mse_loss(x.student, x.teacher);
      return value;
    }
    KD_ASSIGN_OR_RETURN(
        torch::Tensor fs,
        StageFeature("fitnet", "student", inputs.student, stage_, preact_));
    KD_ASSIGN_OR_RETURN(
        torch::Tensor ft,
        StageFeature("fitnet", "teacher", inputs.teacher, stage_, preact_));
    ft = ft.detach();
    if (fs.size(1) != student_channels_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "fitnet: student stage ", stage_, " has ", fs.size(1),
          " channels; the regressor was built for ", student_channels_));
    }
    torch::Tensor hint = conv_ ? conv_->forward(fs) : deconv_->forward(fs);
    hint = bn_->forward(hint);
    if (relu_) hint = at::relu(hint);
    if (hint.sizes() != ft.sizes()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "fitnet: the regressed student stage ", stage_, " ", ShapeText(hint),
          " does not match the teacher's ", ShapeText(ft),
          " (set LossContext stage sizes so the regressor can resample)"));
    }
    value.total = at::mse_loss(hint, ft);
    return value;
  }

 private:
  FitnetLoss(int64_t stage, bool preact, bool relu)
      : stage_(stage), preact_(preact), relu_(relu) {}

  absl::Status BuildRegressor(const LossContext& context) {
    const auto channels = [&](const std::vector<int64_t>& v,
                              const char* side) -> absl::StatusOr<int64_t> {
      if (stage_ >= static_cast<int64_t>(v.size()) || v[stage_] <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("fitnet: stage=", stage_, " but the ", side, " has ",
                         v.size(), " stages with known channels"));
      }
      return v[stage_];
    };
    KD_ASSIGN_OR_RETURN(student_channels_,
                        channels(context.student_stage_channels, "student"));
    KD_ASSIGN_OR_RETURN(const int64_t t_channels,
                        channels(context.teacher_stage_channels, "teacher"));
    int64_t s_size = 0, t_size = 0;
    if (stage_ < static_cast<int64_t>(context.student_stage_sizes.size()) &&
        stage_ < static_cast<int64_t>(context.teacher_stage_sizes.size())) {
      s_size = context.student_stage_sizes[stage_];
      t_size = context.teacher_stage_sizes[stage_];
    }
    namespace nn = torch::nn;
    if (s_size > 0 && t_size > 0 && s_size == 2 * t_size) {
      conv_ = nn::Conv2d(nn::Conv2dOptions(student_channels_, t_channels, 3)
                             .stride(2)
                             .padding(1));
    } else if (s_size > 0 && t_size > 0 && 2 * s_size == t_size) {
      deconv_ = nn::ConvTranspose2d(
          nn::ConvTranspose2dOptions(student_channels_, t_channels, 4)
              .stride(2)
              .padding(1));
    } else if (s_size >= t_size) {
      conv_ = nn::Conv2d(nn::Conv2dOptions(student_channels_, t_channels,
                                           1 + s_size - t_size));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("fitnet: no regressor maps a student stage of side ",
                       s_size, " to a teacher stage of side ", t_size,
                       " (ConvReg handles s = 2t, 2s = t and s >= t)"));
    }
    if (conv_) {
      register_module("conv", conv_);
    } else {
      register_module("conv", deconv_);
    }
    bn_ = register_module("bn", nn::BatchNorm2d(t_channels));
    return absl::OkStatus();
  }

  int64_t stage_;
  bool preact_;
  bool relu_;
  int64_t student_channels_ = 0;
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::ConvTranspose2d deconv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
KD_REGISTER(Loss, FitnetLoss, "fitnet");

}  // namespace
}  // namespace kd
