// The one description of a run's teacher (TeacherSpec), parsed once from
// --teacher, and the factory that builds any kind from it:
//   "<backbone spec>"     a registered backbone ("resnet32x4") with the
//                         weights of `checkpoint` (BackboneTeacher);
//   "torchscript:<file>"  a TorchScript module (TorchScriptTeacher);
//   "cache:<file>"        a teacher feature cache (CachedTeacher).
//
//   KD_ASSIGN_OR_RETURN(TeacherSpec spec, ParseTeacherSpec(flag_value));
//   spec.checkpoint = ...; spec.num_classes = ...;   // the run's side
//   KD_ASSIGN_OR_RETURN(std::unique_ptr<Teacher> t, CreateTeacher(spec));
// A distillation run also needs the teacher's head: LoadTeacher
// (teacher_setup.h) builds both.
#ifndef KD_TEACHER_TEACHER_FACTORY_H_
#define KD_TEACHER_TEACHER_FACTORY_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kd/teacher/teacher.h"
#include "kd/teacher/teacher_cache.h"

namespace kd {

enum class TeacherKind { kBackbone, kTorchScript, kCache };

struct TeacherSpec {
  // From --teacher (ParseTeacherSpec).
  TeacherKind kind = TeacherKind::kBackbone;
  std::string target;  // kBackbone: backbone spec; else the file

  // Weights (kBackbone): a checkpoint of tools/train (its trained head comes
  // with it) or a PyTorch state dict; optionally the head's own file.
  std::string checkpoint;
  std::string head_checkpoint;

  // The run the teacher serves.
  int64_t num_classes = 10;
  int64_t in_channels = 3;
  int64_t embed_dim = 256;  // width of a fresh teacher head
  // Side of the teacher's images: kBackbone 0 = the backbone's native size;
  // kTorchScript 0 = 224.
  int64_t input_size = 0;
  int64_t feature_dim = 0;        // kTorchScript: 0 = found by a probe
  TeacherCacheExpectation cache;  // kCache: what the cache must record
  uint64_t seed = 0;              // kCache: seed of the view draws
};

// "resnet32x4" / "torchscript:<file>" / "cache:<file>" into kind and target
// (the other fields keep their defaults). A prefix without a file is
// INVALID_ARGUMENT.
absl::StatusOr<TeacherSpec> ParseTeacherSpec(absl::string_view text);

// "torchscript:<file>" for kTorchScript: the spec as --teacher reads.
std::string TeacherSpecText(const TeacherSpec& spec);

// Builds the frozen teacher of `spec` (kBackbone reads `checkpoint`).
// Errors: unknown backbone (listing the known ones), missing or damaged
// files, a cache built for another setting.
absl::StatusOr<std::unique_ptr<Teacher>> CreateTeacher(const TeacherSpec& spec);

}  // namespace kd

#endif  // KD_TEACHER_TEACHER_FACTORY_H_
