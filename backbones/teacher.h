// Teacher: where a distillation run gets its teacher's features from.
//   - a backbone trained here, loaded from a checkpoint (frozen or not);
//   - a TorchScript module exported from PyTorch (e.g. CLIP's image encoder),
//     run frozen, in eval mode, under NoGradGuard;
//   - a feature cache: a frozen teacher's features for M augmented views of
//     every training image, computed once and looked up by data-set index.
#ifndef BACKBONES_TEACHER_H_
#define BACKBONES_TEACHER_H_

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "backbones/backbone.h"

namespace kd {

// What a teacher sees of a batch: its own view of the images and the
// data-set indices (for the cache).
struct TeacherInputs {
  torch::Tensor images;   // [B, C, H, W] teacher view
  torch::Tensor indices;  // [B] int64
};

class Teacher {
 public:
  virtual ~Teacher() = default;

  // Teacher outputs for a batch. `pooled` is always set ([B, feature_dim()]);
  // `logits` and feature maps only where the teacher has them (a backbone).
  virtual absl::StatusOr<BackboneOutput> Forward(
      const TeacherInputs& inputs) = 0;
  virtual int64_t feature_dim() const = 0;
  // Side length of the images the teacher expects (0: any).
  virtual int64_t input_size() const = 0;
  // The backbone behind the teacher, if it is one trained here (its
  // parameters can then be trained or frozen); else nullptr.
  virtual std::shared_ptr<Backbone> backbone() { return nullptr; }
  // One line for logs: "resnet32x4 from ckpt/teacher.pt", "torchscript:...".
  virtual std::string Describe() const = 0;
};

// "torchscript:path" / "cache:path" / "<backbone name>" with a checkpoint.
// See backbones/teacher_factory.h for construction.

}  // namespace kd

#endif  // BACKBONES_TEACHER_H_
