#include "kd/teacher/teacher_setup.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "backbones/network.h"
#include "backbones/state_dict.h"
#include "kd/data/data_setup.h"
#include "kd/status_macros.h"
#include "kd/teacher/backbone_teacher.h"

namespace kd {
namespace {

// A backbone teacher from the weights file, read once: a tools/train
// checkpoint brings its trained head too.
absl::StatusOr<LoadedTeacher> LoadBackboneTeacher(const TeacherSpec& spec) {
  if (spec.checkpoint.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--teacher_checkpoint: the weights of teacher '", spec.target,
        "' are required (a checkpoint of tools/train --mode=teacher, or a "
        "PyTorch state dict)"));
  }
  KD_ASSIGN_OR_RETURN(TensorMap tensors, LoadTensorMap(spec.checkpoint));
  LoadedTeacher loaded;
  if (tensors.count("model.spec.backbone") == 0) {
    BackboneConfig config;
    config.num_classes = spec.num_classes;
    config.in_channels = spec.in_channels;
    KD_ASSIGN_OR_RETURN(
        loaded.teacher,
        BackboneTeacher::Create(spec.target, config, tensors, spec.checkpoint,
                                /*trainable=*/false, spec.input_size));
    return loaded;
  }
  KD_ASSIGN_OR_RETURN(NetworkSpec stored,
                      ReadNetworkSpec(tensors, "model.", spec.checkpoint));
  if (stored.num_classes != spec.num_classes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "teacher checkpoint ", spec.checkpoint, " was trained on ",
        stored.num_classes, " classes, this run has ", spec.num_classes));
  }
  NetworkSpec network_spec = stored;
  network_spec.backbone = spec.target;
  KD_ASSIGN_OR_RETURN(Network network, CreateNetwork(network_spec));
  KD_RETURN_IF_ERROR(LoadModuleState(tensors, "model.backbone.",
                                     spec.checkpoint, network.backbone.get()));
  KD_RETURN_IF_ERROR(LoadModuleState(tensors, "model.head.", spec.checkpoint,
                                     network.head.get()));
  loaded.teacher = std::make_unique<BackboneTeacher>(
      network.backbone, absl::StrCat(spec.target, " from ", spec.checkpoint),
      /*trainable=*/false, spec.input_size);
  loaded.head = network.head;
  loaded.head_loaded = true;
  loaded.head_source = spec.checkpoint;
  return loaded;
}

}  // namespace

absl::StatusOr<LoadedTeacher> LoadTeacher(const TeacherSpec& spec) {
  LoadedTeacher loaded;
  if (spec.kind == TeacherKind::kBackbone) {
    KD_ASSIGN_OR_RETURN(loaded, LoadBackboneTeacher(spec));
  } else {
    if (!spec.checkpoint.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--teacher_checkpoint is for backbone teachers; teacher '",
          TeacherSpecText(spec), "' brings its own weights"));
    }
    KD_ASSIGN_OR_RETURN(loaded.teacher, CreateTeacher(spec));
  }
  const int64_t feature_dim = loaded.teacher->feature_dim();
  if (!spec.head_checkpoint.empty()) {
    KD_ASSIGN_OR_RETURN(TensorMap head, LoadTensorMap(spec.head_checkpoint));
    const std::string prefix =
        head.count("model.head.embed.weight") ? "model.head." : "";
    const int64_t width = head.count(prefix + "embed.weight")
                              ? head.at(prefix + "embed.weight").size(0)
                              : spec.embed_dim;
    loaded.head = EmbeddingHead(feature_dim, width, spec.num_classes);
    KD_RETURN_IF_ERROR(
        LoadModuleState(head, prefix, spec.head_checkpoint, loaded.head.get()));
    loaded.head_loaded = true;
    loaded.head_source = spec.head_checkpoint;
  } else if (!loaded.head) {
    loaded.head = EmbeddingHead(feature_dim, spec.embed_dim, spec.num_classes);
  }
  return loaded;
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

}  // namespace kd
