#include "kd/train/teacher_setup.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "kd/status_macros.h"
#include "kd/train/checkpoint.h"
#include "kd/train/network.h"

namespace kd {
namespace {

// A backbone trained here (or in PyTorch), frozen: eval mode, no gradients.
class FrozenBackboneTeacher : public Teacher {
 public:
  FrozenBackboneTeacher(std::shared_ptr<Backbone> backbone, int64_t input_size,
                        std::string description)
      : backbone_(std::move(backbone)),
        input_size_(input_size),
        description_(std::move(description)) {
    backbone_->eval();
    for (auto& p : backbone_->parameters()) p.set_requires_grad(false);
  }

  absl::StatusOr<BackboneOutput> Forward(const TeacherInputs& inputs) override {
    torch::NoGradGuard no_grad;
    backbone_->eval();
    return backbone_->Forward(inputs.images);
  }
  int64_t feature_dim() const override { return backbone_->feature_dim(); }
  int64_t input_size() const override { return input_size_; }
  std::shared_ptr<Backbone> backbone() override { return backbone_; }
  std::string Describe() const override { return description_; }

 private:
  std::shared_ptr<Backbone> backbone_;
  int64_t input_size_;
  std::string description_;
};

}  // namespace

absl::StatusOr<TeacherSetup> SetUpTeacher(const TeacherRequest& request) {
  if (request.checkpoint.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--teacher_checkpoint: the weights of teacher '", request.teacher,
        "' are required (a checkpoint of tools/train --mode=teacher, or a "
        "PyTorch state dict)"));
  }
  KD_ASSIGN_OR_RETURN(TensorMap tensors, LoadTensorMap(request.checkpoint));
  NetworkSpec spec;
  spec.backbone = request.teacher;
  spec.num_classes = request.num_classes;
  spec.embed_dim = request.embed_dim;
  spec.input_size = request.input_size;
  const bool from_train = tensors.count("model.spec.backbone") > 0;
  if (from_train) {
    KD_ASSIGN_OR_RETURN(NetworkSpec stored,
                        ReadNetworkSpec(tensors, "model.", request.checkpoint));
    if (stored.num_classes != request.num_classes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "teacher checkpoint ", request.checkpoint, " was trained on ",
          stored.num_classes, " classes, this run has ", request.num_classes));
    }
    spec.embed_dim = stored.embed_dim;
  }
  KD_ASSIGN_OR_RETURN(Network network, CreateNetwork(spec));
  KD_RETURN_IF_ERROR(
      LoadModuleState(tensors, from_train ? "model.backbone." : "",
                      request.checkpoint, network.backbone.get()));
  TeacherSetup setup;
  setup.teacher = std::make_unique<FrozenBackboneTeacher>(
      network.backbone, request.input_size,
      absl::StrCat(request.teacher, " from ", request.checkpoint));
  setup.head = network.head;
  if (!request.head_checkpoint.empty()) {
    KD_ASSIGN_OR_RETURN(TensorMap head, LoadTensorMap(request.head_checkpoint));
    const std::string prefix =
        head.count("model.head.embed.weight") ? "model.head." : "";
    if (!prefix.empty() || head.count("embed.weight")) {
      // Width of the stored head decides the teacher's embedding width.
      const int64_t width = head.at(prefix + "embed.weight").size(0);
      setup.head = EmbeddingHead(network.backbone->feature_dim(), width,
                                 request.num_classes);
    }
    KD_RETURN_IF_ERROR(LoadModuleState(head, prefix, request.head_checkpoint,
                                       setup.head.get()));
    setup.head_loaded = true;
    setup.head_source = request.head_checkpoint;
  } else if (from_train) {
    KD_RETURN_IF_ERROR(LoadModuleState(tensors, "model.head.",
                                       request.checkpoint, setup.head.get()));
    setup.head_loaded = true;
    setup.head_source = request.checkpoint;
  } else {
    // A plain backbone state dict: a fresh head of the requested width.
    setup.head = EmbeddingHead(network.backbone->feature_dim(),
                               request.embed_dim, request.num_classes);
  }
  return setup;
}

}  // namespace kd
