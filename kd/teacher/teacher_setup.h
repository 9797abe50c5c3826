// The teacher of a distillation run: the frozen teacher (teacher_factory.h)
// plus its embedding head, from one TeacherSpec, with every file read once.
// The head comes from, in this order: --teacher_head_checkpoint; a tools/train
// checkpoint given as the teacher's weights (its "model.head.*"); else it is
// fresh (to be trained by the run). Also the teacher's view of a run's
// images, and what a teacher feature cache must record for a run.
#ifndef KD_TEACHER_TEACHER_SETUP_H_
#define KD_TEACHER_TEACHER_SETUP_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "backbones/embedding_head.h"
#include "kd/data/dataset.h"
#include "kd/data/transforms.h"
#include "kd/teacher/teacher.h"
#include "kd/teacher/teacher_cache.h"
#include "kd/teacher/teacher_factory.h"

namespace kd {

struct LoadedTeacher {
  std::unique_ptr<Teacher> teacher;  // frozen, eval mode
  EmbeddingHead head{nullptr};
  bool head_loaded = false;  // from a checkpoint (else freshly initialised)
  std::string head_source;   // the file it came from, for logs
};

// Builds the teacher and its head (freshly initialised heads use torch's
// global generator). Errors (unknown backbone, missing file, a checkpoint of
// another architecture or class count, listed by tensor name) name the file.
absl::StatusOr<LoadedTeacher> LoadTeacher(const TeacherSpec& spec);

// The teacher's view of a run's images (the loader's teacher_view): the run's
// view (MakeView of the image side, input size, augmentation, normalisation),
// resized (bicubic) to `teacher_input_size` when that is > 0 and differs
// from the run's input size (e.g. 224 for a TorchScript teacher).
absl::StatusOr<ViewTransform> TeacherView(int image_side, int input_size,
                                          bool augment,
                                          const std::string& normalize,
                                          int64_t teacher_input_size);

// What a teacher feature cache for the training split `train_set` of data set
// `dataset` (its flag value) must record: data set "<dataset>/train", its
// size, and the augmentation of the run's view (DescribeAugmentation of
// MakeView; the teacher's own resize belongs to the teacher, which the cache
// records separately). tools/build_teacher_cache writes it and tools/train
// expects it, so a cache is accepted exactly by runs with the same data set,
// subset, input size, augmentation and normalisation. Empty teacher: any.
absl::StatusOr<TeacherCacheExpectation> TrainSplitCacheExpectation(
    const std::string& dataset, const Dataset& train_set, int input_size,
    bool augment, const std::string& normalize);

}  // namespace kd

#endif  // KD_TEACHER_TEACHER_SETUP_H_
