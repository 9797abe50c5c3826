// TorchScriptTeacher: a TorchScript module exported from PyTorch (e.g. CLIP's
// image encoder: torch.jit.trace(model.visual, x).save("clip_b32.pt")), run
// frozen: eval mode, under NoGradGuard. Its output, which must be a 2-D
// floating tensor [B, D], is the teacher feature (`pooled`).
#ifndef KD_TEACHER_TORCHSCRIPT_TEACHER_H_
#define KD_TEACHER_TORCHSCRIPT_TEACHER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "kd/teacher/teacher.h"

namespace torch {
namespace jit {
struct Module;
}  // namespace jit
}  // namespace torch

namespace kd {

struct TorchScriptTeacherOptions {
  // Side length of the square images the module takes (224 for CLIP).
  int64_t input_size = 224;
  int64_t in_channels = 3;
  // Width D of the output; 0: found by a probe forward on zeros at Load.
  int64_t feature_dim = 0;
};

class TorchScriptTeacher : public Teacher {
 public:
  // Loads `path`. Not a TorchScript file, or (probe) an output that is not a
  // [B, D] floating tensor: INVALID_ARGUMENT naming the file.
  static absl::StatusOr<std::unique_ptr<TorchScriptTeacher>> Load(
      const std::string& path, const TorchScriptTeacherOptions& options);
  ~TorchScriptTeacher() override;

  // `pooled` only: [B, D] float32. Images must be [B, in_channels,
  // input_size, input_size].
  absl::StatusOr<BackboneOutput> Forward(const TeacherInputs& inputs) override;
  int64_t feature_dim() const override { return feature_dim_; }
  int64_t input_size() const override { return options_.input_size; }
  // "torchscript:<file name> (<bytes> bytes, input <S>, D=<D>)".
  std::string Describe() const override { return description_; }
  void To(const torch::Device& device) override;
  // bf16 autocast applies to the module's ops; channels-last is not applied
  // (the module's own code decides its layouts).
  void SetCompute(Precision precision, bool channels_last) override {
    precision_ = precision;
  }

 private:
  TorchScriptTeacher(std::unique_ptr<torch::jit::Module> module,
                     std::string path, TorchScriptTeacherOptions options);
  // Runs the module; checks and converts its output.
  absl::StatusOr<torch::Tensor> Run(const torch::Tensor& images);

  std::unique_ptr<torch::jit::Module> module_;
  std::string path_;
  Precision precision_ = Precision::kFp32;
  torch::Device device_{torch::kCPU};
  TorchScriptTeacherOptions options_;
  int64_t feature_dim_ = 0;
  std::string description_;
};

}  // namespace kd

#endif  // KD_TEACHER_TORCHSCRIPT_TEACHER_H_
