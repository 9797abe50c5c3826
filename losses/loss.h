// Loss: one distillation (or supervised) objective as a plugin. A loss is a
// torch::nn::Module, so the trainer finds its trainable parameters
// (regressors, embedding heads) and checkpoints its state (CRD's memory
// banks, as buffers) through the one Module interface.
#ifndef LOSSES_LOSS_H_
#define LOSSES_LOSS_H_

#include <torch/nn/module.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "backbones/backbone.h"
#include "kd/registry.h"

namespace kd {

// What a loss may need to build its own modules. Dimensions a run does not
// have (no teacher when training a teacher) are 0.
struct LossContext {
  int64_t student_embed_dim = 0;    // width of LossInputs::student_embed
  int64_t teacher_embed_dim = 0;    // width of LossInputs::teacher_embed
  int64_t student_feature_dim = 0;  // width of the student's pooled feature
  int64_t teacher_feature_dim = 0;  // width of the teacher's pooled feature
  std::vector<int64_t> student_stage_channels;
  std::vector<int64_t> teacher_stage_channels;
  int64_t num_classes = 0;
  int64_t dataset_size = 0;  // training examples (CRD's memory banks)

  // Additions (losses helper). All optional: empty when the run does not know.
  // Class label of every training example, by data-set index: CRD draws its
  // negatives from other classes with it (as RepDistiller's sampling mode).
  std::vector<int64_t> dataset_labels;
  // Spatial side (height) of each stage's feature map at the run's input
  // size (same order as *_stage_channels): FitNet's hint regressor picks its
  // conv from the student/teacher ratio as RepDistiller's ConvReg; when empty
  // it assumes equal sizes (a 1x1 conv).
  std::vector<int64_t> student_stage_sizes;
  std::vector<int64_t> teacher_stage_sizes;
};

// One batch as the losses see it. Tensors a run does not have are undefined;
// a loss that needs one returns INVALID_ARGUMENT naming it.
struct LossInputs {
  torch::Tensor student_embed;   // [B, Ds] node embeddings (student)
  torch::Tensor teacher_embed;   // [B, Dt] node embeddings (teacher)
  torch::Tensor student_logits;  // [B, K]
  torch::Tensor teacher_logits;  // [B, K]
  torch::Tensor labels;          // [B] int64 class labels
  torch::Tensor indices;         // [B] int64 data-set indices
  // Full backbone outputs (feature maps, pooled features), where available.
  const BackboneOutput* student = nullptr;
  const BackboneOutput* teacher = nullptr;
  // The training epoch this batch belongs to, counted from 1 (as mdistiller),
  // for losses whose weight follows training (dkd's warm-up ramp); 0 outside
  // a training run (tests, eval_loss without --epoch): no ramp. Always
  // given, so it is not part of a loss's contract (reads()).
  int64_t epoch = 0;
  // Data-parallel runs (kd/train/data_parallel.h): the same inputs gathered
  // from every rank, in the order of the whole batch, for the losses that
  // couple the examples of a batch (Loss::couples_batch); null otherwise.
  // Gradients flow back to this rank's rows.
  const LossInputs* whole_batch = nullptr;
};

// The inputs a loss may read: the fields of LossInputs, and the parts of the
// backbone outputs behind LossInputs::student / teacher.
enum class LossInput {
  kStudentEmbedding,   // LossInputs::student_embed
  kTeacherEmbedding,   // LossInputs::teacher_embed
  kStudentLogits,      // LossInputs::student_logits
  kTeacherLogits,      // LossInputs::teacher_logits
  kStudentPooled,      // LossInputs::student->pooled
  kTeacherPooled,      // LossInputs::teacher->pooled
  kStudentStageMaps,   // LossInputs::student->stage_features
  kTeacherStageMaps,   // LossInputs::teacher->stage_features
  kStudentPreactMaps,  // LossInputs::student->preact_stage_features
  kTeacherPreactMaps,  // LossInputs::teacher->preact_stage_features
  kLabels,             // LossInputs::labels
  kIndices,            // LossInputs::indices
};

// "teacher stage feature maps", for messages.
const char* LossInputName(LossInput input);

// A set of LossInputs: what a loss reads (its contract), or what a run
// provides. Small and copyable.
class LossInputSet {
 public:
  LossInputSet() = default;
  LossInputSet(std::initializer_list<LossInput> inputs) {
    for (LossInput input : inputs) Add(input);
  }
  LossInputSet& Add(LossInput input) {
    bits_ |= Bit(input);
    return *this;
  }
  LossInputSet& Add(const LossInputSet& other) {
    bits_ |= other.bits_;
    return *this;
  }
  bool contains(LossInput input) const { return (bits_ & Bit(input)) != 0; }
  bool contains_any(std::initializer_list<LossInput> inputs) const {
    for (LossInput input : inputs) {
      if (contains(input)) return true;
    }
    return false;
  }
  bool empty() const { return bits_ == 0; }
  // The members of this set that `available` lacks, in declaration order.
  std::vector<LossInput> MissingFrom(const LossInputSet& available) const;
  bool operator==(const LossInputSet& other) const {
    return bits_ == other.bits_;
  }

 private:
  static uint32_t Bit(LossInput input) {
    return 1u << static_cast<uint32_t>(input);
  }
  uint32_t bits_ = 0;
};

// A loss value and its named parts ("node", "edge", ...), each a scalar.
// `total` is what the loss contributes before its run-level weight.
struct LossValue {
  torch::Tensor total;
  std::vector<std::pair<std::string, torch::Tensor>> terms;
};

class Loss : public torch::nn::Module {
 public:
  static constexpr char kPluginKind[] = "loss";
  using Registry = ::kd::Registry<Loss, const LossContext&>;

  // The inputs Compute reads with this loss's options (its contract). The
  // trainer checks a run against it before the first step (a teacher without
  // stage maps cannot serve a loss that reads them) and computes only what
  // some loss reads; Compute may rely on every input listed here.
  virtual LossInputSet reads() const = 0;

  // Computes the loss. Teacher-side tensors are constants for the loss: an
  // implementation detaches them itself.
  virtual absl::StatusOr<LossValue> Compute(const LossInputs& inputs) = 0;

  // True for a loss that is not a mean of per-example terms: it compares
  // examples with each other (graphs, relations, contrasts, memory banks
  // updated by batch). In a data-parallel run it sees the whole batch of
  // every rank (LossInputs::whole_batch) unless --dist_graph=local; the
  // others see this rank's examples, and averaging the gradients over ranks
  // makes them the whole batch's mean.
  virtual bool couples_batch() const { return false; }
};

}  // namespace kd

#endif  // LOSSES_LOSS_H_
