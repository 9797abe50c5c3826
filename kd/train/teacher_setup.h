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
