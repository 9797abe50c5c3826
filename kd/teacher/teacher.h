// Teacher: where a distillation run gets its teacher's features from. A
// teacher is frozen (the run may train the teacher's embedding head, never
// the teacher). Three kinds, built from one TeacherSpec (teacher_setup.h):
//   BackboneTeacher     a network of the zoo with weights trained here or in
//                       PyTorch (backbone_teacher.h);
//   TorchScriptTeacher  a TorchScript module exported from PyTorch, e.g.
//                       CLIP's image encoder (torchscript_teacher.h);
//   CachedTeacher       a frozen teacher's features for M augmented views of
//                       every training image, computed once and looked up by
//                       data-set index (teacher_cache.h).
// The interface says what a run needs to know before its first batch: what
// the teacher gives besides its pooled feature (stage maps), whether it reads
// images, whether it covers every split, and how its draws follow epochs.
#ifndef KD_TEACHER_TEACHER_H_
#define KD_TEACHER_TEACHER_H_

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backbones/backbone.h"
#include "kd/base/precision.h"

namespace kd {

// What a teacher sees of a batch.
struct TeacherInputs {
  torch::Tensor images;   // [B, C, H, W] teacher view (unused when the
                          // teacher does not need_images())
  torch::Tensor indices;  // [B] int64 data-set indices
  // Keep the stage feature maps (and pre-activations) in the output; false
  // frees them at once when no loss reads them.
  bool stage_maps = true;
};

class Teacher {
 public:
  virtual ~Teacher() = default;

  // Teacher outputs for a batch. `pooled` is always set ([B, feature_dim()]);
  // `logits` and feature maps only where the teacher has them (a backbone).
  virtual absl::StatusOr<BackboneOutput> Forward(
      const TeacherInputs& inputs) = 0;
  virtual int64_t feature_dim() const = 0;
  // Side length of the images the teacher expects (0: any, or none).
  virtual int64_t input_size() const = 0;
  // One line for logs: "resnet32x4 from ckpt/teacher.pt", "torchscript:...".
  virtual std::string Describe() const = 0;

  // Channels and spatial side (at input_size()) of each stage feature map
  // Forward gives, shallow to deep; empty when it gives `pooled` only.
  virtual std::vector<int64_t> stage_channels() const { return {}; }
  virtual std::vector<int64_t> stage_sizes() const { return {}; }
  // False when Forward ignores TeacherInputs::images (a feature cache): the
  // loader then makes no teacher view.
  virtual bool needs_images() const { return true; }
  // False when the teacher holds the training split only (a feature cache):
  // its head cannot be evaluated on another split.
  virtual bool covers_every_split() const { return true; }
  // Called before each training epoch with the epoch's first global step, so
  // that per-step draws (a cache's view choice) depend only on the position
  // in the run and a resumed run draws what an unbroken one does.
  virtual void StartEpoch(int64_t first_step) {}
  // Moves the teacher's weights (if any) to `device`.
  virtual void To(const torch::Device& device) {}
  // How Forward computes: `precision` (autocast) and, where the teacher has
  // convolutions of its own, channels-last layout. Forward's outputs are
  // float32 whatever the precision. A teacher without computation (a
  // feature cache) ignores it.
  virtual void SetCompute(Precision precision, bool channels_last) {}
  // The backbone behind a BackboneTeacher; nullptr for the other kinds.
  virtual std::shared_ptr<Backbone> backbone() { return nullptr; }
};

}  // namespace kd

#endif  // KD_TEACHER_TEACHER_H_
