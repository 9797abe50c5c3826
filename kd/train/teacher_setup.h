// The teacher of a distillation run: its features (a Teacher) and its
// embedding head. The teacher is
//   - a registered backbone name plus a checkpoint of tools/train (its
//     "model.*" entries; the teacher's trained head comes with it), or
//   - anything backbones/teacher_factory.h builds: a backbone name plus a
//     plain state dict (teacher_best.pt, or torch.save(dict(sd), f) in
//     Python), "torchscript:<file>" or "cache:<file>".
#ifndef KD_TRAIN_TEACHER_SETUP_H_
#define KD_TRAIN_TEACHER_SETUP_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "backbones/embedding_head.h"
#include "backbones/teacher.h"
#include "backbones/teacher_cache.h"
#include "kd/data/dataset.h"
#include "kd/data/transforms.h"

namespace kd {

struct TeacherRequest {
  std::string teacher;          // registered backbone name (with options)
  std::string checkpoint;       // weights file (required)
  std::string head_checkpoint;  // optional: head weights (state dict)
  int64_t num_classes = 10;
  int64_t embed_dim = 256;  // for a fresh head
  int64_t input_size = 32;  // the run's input side (backbone teachers)
  // A cache teacher must have been built for this data set / augmentation.
  std::string dataset;  // "fashion_mnist/train"
  int64_t dataset_size = 0;
  std::string augmentation;  // DescribeAugmentation of the teacher view
  uint64_t seed = 0;
};

// True for "torchscript:..." and "cache:..." teachers (no backbone weights).
bool IsExternalTeacher(const std::string& teacher);

// True for "cache:..." teachers (features of the training split only).
bool IsCacheTeacher(const std::string& teacher);

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

struct TeacherSetup {
  std::unique_ptr<Teacher> teacher;  // frozen, eval mode
  EmbeddingHead head{nullptr};
  bool head_loaded = false;  // from the checkpoint or head_checkpoint
  std::string head_source;   // where the head came from, for logs
};

// Errors (unknown backbone, missing file, mismatched tensors listed by
// name) are INVALID_ARGUMENT / NOT_FOUND naming the file.
absl::StatusOr<TeacherSetup> SetUpTeacher(const TeacherRequest& request);

}  // namespace kd

#endif  // KD_TRAIN_TEACHER_SETUP_H_
