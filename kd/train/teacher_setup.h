// The teacher of a distillation run: its features (a Teacher) and its
// embedding head. Backbone teachers are rebuilt from a registered backbone
// name plus a weights file: a checkpoint of tools/train (its "model.*"
// entries; the teacher's trained head comes with it) or a plain state dict
// of the backbone (e.g. torch.save(dict(model.state_dict()), f) in Python).
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
  int64_t input_size = 32;
};

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
