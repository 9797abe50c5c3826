#include "backbones/teacher_factory.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backbones/backbone_teacher.h"
#include "backbones/torchscript_teacher.h"
#include "kd/status_macros.h"

namespace kd {

absl::StatusOr<std::unique_ptr<Teacher>> CreateTeacher(
    const std::string& spec, const TeacherOptions& options) {
  constexpr absl::string_view kTorchScript = "torchscript:";
  constexpr absl::string_view kCache = "cache:";
  if (absl::StartsWith(spec, kTorchScript)) {
    const std::string path = spec.substr(kTorchScript.size());
    if (path.empty()) {
      return absl::InvalidArgumentError(
          "teacher 'torchscript:': give a path, torchscript:<file>");
    }
    TorchScriptTeacherOptions ts;
    ts.input_size = options.input_size > 0 ? options.input_size : 224;
    ts.in_channels = options.backbone.in_channels;
    ts.feature_dim = options.feature_dim;
    KD_ASSIGN_OR_RETURN(std::unique_ptr<TorchScriptTeacher> teacher,
                        TorchScriptTeacher::Load(path, ts));
    return std::unique_ptr<Teacher>(std::move(teacher));
  }
  if (absl::StartsWith(spec, kCache)) {
    const std::string path = spec.substr(kCache.size());
    if (path.empty()) {
      return absl::InvalidArgumentError(
          "teacher 'cache:': give a path, cache:<file>");
    }
    KD_ASSIGN_OR_RETURN(std::unique_ptr<CachedTeacher> teacher,
                        CachedTeacher::Open(path, options.cache, options.seed));
    return std::unique_ptr<Teacher>(std::move(teacher));
  }
  KD_ASSIGN_OR_RETURN(
      std::unique_ptr<BackboneTeacher> teacher,
      BackboneTeacher::Create(spec, options.backbone, options.checkpoint,
                              options.trainable, options.input_size));
  return std::unique_ptr<Teacher>(std::move(teacher));
}

}  // namespace kd
