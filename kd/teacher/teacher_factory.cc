#include "kd/teacher/teacher_factory.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "kd/status_macros.h"
#include "kd/teacher/backbone_teacher.h"
#include "kd/teacher/torchscript_teacher.h"

namespace kd {
namespace {

constexpr absl::string_view kTorchScript = "torchscript:";
constexpr absl::string_view kCache = "cache:";

}  // namespace

absl::StatusOr<TeacherSpec> ParseTeacherSpec(absl::string_view text) {
  TeacherSpec spec;
  for (const auto& [prefix, kind] :
       {std::pair{kTorchScript, TeacherKind::kTorchScript},
        std::pair{kCache, TeacherKind::kCache}}) {
    if (!absl::StartsWith(text, prefix)) continue;
    spec.kind = kind;
    spec.target = std::string(text.substr(prefix.size()));
    if (spec.target.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "teacher '", prefix, "': give a path, ", prefix, "<file>"));
    }
    return spec;
  }
  spec.target = std::string(text);
  return spec;
}

std::string TeacherSpecText(const TeacherSpec& spec) {
  switch (spec.kind) {
    case TeacherKind::kTorchScript:
      return absl::StrCat(kTorchScript, spec.target);
    case TeacherKind::kCache:
      return absl::StrCat(kCache, spec.target);
    case TeacherKind::kBackbone:
      break;
  }
  return spec.target;
}

absl::StatusOr<std::unique_ptr<Teacher>> CreateTeacher(
    const TeacherSpec& spec) {
  switch (spec.kind) {
    case TeacherKind::kTorchScript: {
      TorchScriptTeacherOptions options;
      options.input_size = spec.input_size > 0 ? spec.input_size : 224;
      options.in_channels = spec.in_channels;
      options.feature_dim = spec.feature_dim;
      KD_ASSIGN_OR_RETURN(std::unique_ptr<TorchScriptTeacher> teacher,
                          TorchScriptTeacher::Load(spec.target, options));
      return std::unique_ptr<Teacher>(std::move(teacher));
    }
    case TeacherKind::kCache: {
      KD_ASSIGN_OR_RETURN(
          std::unique_ptr<CachedTeacher> teacher,
          CachedTeacher::Open(spec.target, spec.cache, spec.seed));
      return std::unique_ptr<Teacher>(std::move(teacher));
    }
    case TeacherKind::kBackbone:
      break;
  }
  BackboneConfig config;
  config.num_classes = spec.num_classes;
  config.in_channels = spec.in_channels;
  KD_ASSIGN_OR_RETURN(
      std::unique_ptr<BackboneTeacher> teacher,
      BackboneTeacher::Create(spec.target, config, spec.checkpoint,
                              /*trainable=*/false, spec.input_size));
  return std::unique_ptr<Teacher>(std::move(teacher));
}

}  // namespace kd
