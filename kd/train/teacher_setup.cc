#include "kd/train/teacher_setup.h"

#include <ATen/ATen.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backbones/backbone_teacher.h"
#include "backbones/teacher_factory.h"
#include "kd/status_macros.h"
#include "kd/train/checkpoint.h"
#include "kd/train/data_setup.h"
#include "kd/train/network.h"

namespace kd {

bool IsExternalTeacher(const std::string& teacher) {
  return absl::StartsWith(teacher, "torchscript:") ||
         absl::StartsWith(teacher, "cache:");
}

bool IsCacheTeacher(const std::string& teacher) {
  return absl::StartsWith(teacher, "cache:");
}

absl::StatusOr<ViewTransform> TeacherView(int image_side, int input_size,
                                          bool augment,
                                          const std::string& normalize,
                                          int64_t teacher_input_size) {
  KD_ASSIGN_OR_RETURN(ViewTransform view,
                      MakeView(image_side, input_size, augment, normalize));
  const int run_size = ResolvedInputSize(image_side, input_size);
  if (teacher_input_size > 0 && teacher_input_size != run_size) {
    view.resize_to = static_cast<int>(teacher_input_size);
    view.resize_mode = ResizeMode::kBicubic;
  }
  return view;
}

absl::StatusOr<TeacherCacheExpectation> TrainSplitCacheExpectation(
    const std::string& dataset, const Dataset& train_set, int input_size,
    bool augment, const std::string& normalize) {
  KD_ASSIGN_OR_RETURN(const int side, ImageSide(train_set));
  KD_ASSIGN_OR_RETURN(ViewTransform view,
                      MakeView(side, input_size, augment, normalize));
  TeacherCacheExpectation expected;
  expected.dataset = dataset + "/train";
  expected.dataset_size = train_set.size();
  expected.augmentation = DescribeAugmentation(view);
  return expected;
}

absl::StatusOr<TeacherSetup> SetUpTeacher(const TeacherRequest& request) {
  const bool external = IsExternalTeacher(request.teacher);
  if (request.checkpoint.empty() && !external) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--teacher_checkpoint: the weights of teacher '", request.teacher,
        "' are required (a checkpoint of tools/train --mode=teacher, or a "
        "PyTorch state dict)"));
  }
  TeacherSetup setup;
  TensorMap tensors;
  if (!request.checkpoint.empty()) {
    KD_ASSIGN_OR_RETURN(tensors, LoadTensorMap(request.checkpoint));
  }
  const bool from_train = tensors.count("model.spec.backbone") > 0;
  int64_t head_width = request.embed_dim;
  if (from_train && !external) {
    // A checkpoint of tools/train: the backbone and its trained head.
    KD_ASSIGN_OR_RETURN(NetworkSpec stored,
                        ReadNetworkSpec(tensors, "model.", request.checkpoint));
    if (stored.num_classes != request.num_classes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "teacher checkpoint ", request.checkpoint, " was trained on ",
          stored.num_classes, " classes, this run has ", request.num_classes));
    }
    NetworkSpec spec = stored;
    spec.backbone = request.teacher;
    KD_ASSIGN_OR_RETURN(Network network, CreateNetwork(spec));
    KD_RETURN_IF_ERROR(LoadModuleState(tensors, "model.backbone.",
                                       request.checkpoint,
                                       network.backbone.get()));
    KD_RETURN_IF_ERROR(LoadModuleState(tensors, "model.head.",
                                       request.checkpoint, network.head.get()));
    setup.teacher = std::make_unique<BackboneTeacher>(
        network.backbone,
        absl::StrCat(request.teacher, " from ", request.checkpoint),
        /*trainable=*/false, request.input_size);
    setup.head = network.head;
    setup.head_loaded = true;
    setup.head_source = request.checkpoint;
  } else {
    TeacherOptions options;
    options.backbone.num_classes = request.num_classes;
    options.backbone.in_channels = 3;
    options.checkpoint = request.checkpoint;
    options.trainable = false;
    options.input_size = external ? 0 : request.input_size;
    options.cache.dataset = request.dataset;
    options.cache.dataset_size = request.dataset_size;
    options.cache.augmentation = request.augmentation;
    options.seed = request.seed;
    KD_ASSIGN_OR_RETURN(setup.teacher, CreateTeacher(request.teacher, options));
  }
  if (!request.head_checkpoint.empty()) {
    KD_ASSIGN_OR_RETURN(TensorMap head, LoadTensorMap(request.head_checkpoint));
    const std::string prefix =
        head.count("model.head.embed.weight") ? "model.head." : "";
    if (head.count(prefix + "embed.weight")) {
      head_width = head.at(prefix + "embed.weight").size(0);
    }
    setup.head = EmbeddingHead(setup.teacher->feature_dim(), head_width,
                               request.num_classes);
    KD_RETURN_IF_ERROR(LoadModuleState(head, prefix, request.head_checkpoint,
                                       setup.head.get()));
    setup.head_loaded = true;
    setup.head_source = request.head_checkpoint;
  } else if (!setup.head) {
    setup.head = EmbeddingHead(setup.teacher->feature_dim(), head_width,
                               request.num_classes);
  }
  return setup;
}

}  // namespace kd
