// BackboneTeacher: a registered backbone (e.g. resnet32x4) with weights from
// a state dict (backbones/state_dict.h: a checkpoint written here or a
// PyTorch state dict). Frozen by default, and then run as inference: eval
// mode, BatchNorm folded into the preceding convolutions (FoldBatchNorm),
// parameters without gradients, forward under c10::InferenceMode, outputs
// copied out as ordinary float32 tensors. A trainable teacher runs with
// gradients in whatever mode the caller sets.
#ifndef KD_TEACHER_BACKBONE_TEACHER_H_
#define KD_TEACHER_BACKBONE_TEACHER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backbones/backbone.h"
#include "backbones/state_dict.h"
#include "kd/teacher/teacher.h"

namespace kd {

class BackboneTeacher : public Teacher {
 public:
  // Builds backbone `spec` ("resnet32x4") and loads the state-dict file
  // `checkpoint` into it. An empty checkpoint is allowed only for a trainable
  // teacher (random init). `input_size` 0 means the backbone's native size.
  static absl::StatusOr<std::unique_ptr<BackboneTeacher>> Create(
      const std::string& spec, const BackboneConfig& config,
      const std::string& checkpoint, bool trainable, int64_t input_size = 0);
  // The same with the state dict already read from `source`.
  static absl::StatusOr<std::unique_ptr<BackboneTeacher>> Create(
      const std::string& spec, const BackboneConfig& config,
      const TensorMap& weights, const std::string& source, bool trainable,
      int64_t input_size = 0);

  // Wraps an existing backbone; `description` is what Describe() returns.
  BackboneTeacher(std::shared_ptr<Backbone> backbone, std::string description,
                  bool trainable, int64_t input_size);

  absl::StatusOr<BackboneOutput> Forward(const TeacherInputs& inputs) override;
  int64_t feature_dim() const override { return backbone_->feature_dim(); }
  int64_t input_size() const override { return input_size_; }
  std::string Describe() const override { return description_; }
  std::vector<int64_t> stage_channels() const override {
    return backbone_->stage_channels();
  }
  std::vector<int64_t> stage_sizes() const override { return stage_sizes_; }
  void To(const torch::Device& device) override;
  void SetCompute(Precision precision, bool channels_last) override;
  std::shared_ptr<Backbone> backbone() override { return backbone_; }

  bool trainable() const { return trainable_; }

 private:
  std::shared_ptr<Backbone> backbone_;
  std::string description_;
  bool trainable_;
  int64_t input_size_;
  std::vector<int64_t> stage_sizes_;
  Precision precision_ = Precision::kFp32;
  torch::Device device_{torch::kCPU};
};

}  // namespace kd

#endif  // KD_TEACHER_BACKBONE_TEACHER_H_
