#include "kd/teacher/torchscript_teacher.h"

#include <c10/core/InferenceMode.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/serialization/import.h>

#include <exception>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "kd/base/device.h"
#include "kd/base/tensor_text.h"
#include "kd/base/torch_errors.h"
#include "kd/status_macros.h"

namespace kd {

TorchScriptTeacher::TorchScriptTeacher(
    std::unique_ptr<torch::jit::Module> module, std::string path,
    TorchScriptTeacherOptions options)
    : module_(std::move(module)), path_(std::move(path)), options_(options) {}

TorchScriptTeacher::~TorchScriptTeacher() = default;

absl::StatusOr<std::unique_ptr<TorchScriptTeacher>> TorchScriptTeacher::Load(
    const std::string& path, const TorchScriptTeacherOptions& options) {
  if (options.input_size < 1 || options.in_channels < 1 ||
      options.feature_dim < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("torchscript teacher ", path,
                     ": input_size and in_channels must be "
                     ">= 1 and feature_dim >= 0, got ",
                     options.input_size, ", ", options.in_channels, ", ",
                     options.feature_dim));
  }
  std::error_code error;
  const uintmax_t bytes = std::filesystem::file_size(path, error);
  if (error) {
    return absl::NotFoundError(absl::StrCat("torchscript teacher: cannot read ",
                                            path, ": ", error.message()));
  }
  auto module = std::make_unique<torch::jit::Module>();
  try {
    *module = torch::jit::load(path, torch::kCPU);
  } catch (const std::exception& e) {
    std::string what = ExceptionMessage(e);
    what = what.substr(0, what.find('\n'));
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        " is not a TorchScript module (export one from Python with "
        "torch.jit.trace(model, example).save(path) or torch.jit.script): ",
        what));
  }
  module->eval();
  std::unique_ptr<TorchScriptTeacher> teacher(
      new TorchScriptTeacher(std::move(module), path, options));
  teacher->feature_dim_ = options.feature_dim;
  if (teacher->feature_dim_ == 0) {
    const torch::Tensor probe = torch::zeros(
        {2, options.in_channels, options.input_size, options.input_size});
    KD_ASSIGN_OR_RETURN(torch::Tensor out, teacher->Run(probe));
    teacher->feature_dim_ = out.size(1);
  }
  teacher->description_ = absl::StrCat(
      "torchscript:", std::filesystem::path(path).filename().string(), " (",
      bytes, " bytes, input ", options.input_size,
      ", D=", teacher->feature_dim_, ")");
  return teacher;
}

void TorchScriptTeacher::To(const torch::Device& device) {
  module_->to(device);
  device_ = device;
}

absl::StatusOr<torch::Tensor> TorchScriptTeacher::Run(
    const torch::Tensor& images) {
  c10::IValue output;
  try {
    c10::InferenceMode inference;
    AutocastScope autocast(precision_, device_);
    output = module_->forward({ToDevice(images, device_)});
  } catch (const std::exception& e) {
    std::string what = ExceptionMessage(e);
    return absl::InvalidArgumentError(
        absl::StrCat("torchscript teacher ", path_, ": forward on images ",
                     ShapeText(images), " failed: ", what.substr(0, 2000)));
  }
  if (!output.isTensor()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "torchscript teacher ", path_,
        ": the module must return one 2-D float tensor [B, D]; it returned a ",
        output.tagKind()));
  }
  torch::Tensor features = output.toTensor();
  if (features.dim() != 2 || !features.is_floating_point() ||
      features.size(0) != images.size(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("torchscript teacher ", path_,
                     ": the module must return a 2-D float tensor [B, D] (B = ",
                     images.size(0), "); it returned a ",
                     c10::toString(features.scalar_type()), " tensor ",
                     ShapeText(features)));
  }
  if (feature_dim_ > 0 && features.size(1) != feature_dim_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "torchscript teacher ", path_, ": expected D = ", feature_dim_,
        " features, got ", features.size(1)));
  }
  // An ordinary float32 copy: autograd may save it (not an inference tensor).
  return features.to(torch::kFloat, /*non_blocking=*/false, /*copy=*/true)
      .contiguous();
}

absl::StatusOr<BackboneOutput> TorchScriptTeacher::Forward(
    const TeacherInputs& inputs) {
  const torch::Tensor& images = inputs.images;
  if (!images.defined() || images.dim() != 4 ||
      images.size(1) != options_.in_channels ||
      images.size(2) != options_.input_size ||
      images.size(3) != options_.input_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("torchscript teacher ", path_, ": expected images [B, ",
                     options_.in_channels, ", ", options_.input_size, ", ",
                     options_.input_size, "], got ",
                     images.defined() ? ShapeText(images) : "none",
                     " (resize the teacher view to the teacher's input size)"));
  }
  module_->eval();
  BackboneOutput out;
  KD_ASSIGN_OR_RETURN(out.pooled, Run(images.to(torch::kFloat)));
  return out;
}

}  // namespace kd
