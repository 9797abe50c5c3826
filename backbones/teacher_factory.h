// Builds a Teacher from a spec string:
//   "torchscript:<path>"  a TorchScript module (TorchScriptTeacher), frozen;
//   "cache:<path>"        a teacher feature cache (CachedTeacher);
//   "<backbone spec>"     a registered backbone ("resnet32x4") with the
//                         weights of `options.checkpoint` (BackboneTeacher).
#ifndef BACKBONES_TEACHER_FACTORY_H_
#define BACKBONES_TEACHER_FACTORY_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "backbones/backbone.h"
#include "backbones/teacher.h"
#include "backbones/teacher_cache.h"

namespace kd {

struct TeacherOptions {
  // Backbone teacher: classes and input channels of the network, its state
  // dict, and whether the run trains it (frozen otherwise).
  BackboneConfig backbone;
  std::string checkpoint;
  bool trainable = false;
  // Side of the teacher's input images: 0 means the backbone's native size,
  // or 224 for a TorchScript teacher.
  int64_t input_size = 0;
  // TorchScript teacher: output width, 0 to find it by a probe forward.
  int64_t feature_dim = 0;
  // Cache teacher: what the cache must have been built for, and the seed of
  // its view draws.
  TeacherCacheExpectation cache;
  uint64_t seed = 0;
};

absl::StatusOr<std::unique_ptr<Teacher>> CreateTeacher(
    const std::string& spec, const TeacherOptions& options);

}  // namespace kd

#endif  // BACKBONES_TEACHER_FACTORY_H_
