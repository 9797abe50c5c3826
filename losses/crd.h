// "crd": contrastive representation distillation (Tian et al.) as in
// RepDistiller: Linear heads to feat_dim + L2 norm; two memory banks over
// the data set (student's and teacher's, [dataset_size, feat_dim], uniform
// init in +-1/sqrt(feat_dim/3)); for each example its own index plus K
// negatives (drawn from other classes with LossContext::dataset_labels, or
// uniformly); scores exp(<v, memory row>/T) divided by normalising constants
// Z fixed on the first batch (mean score * dataset_size); the NCE-style
// contrast loss on both sides; memory rows of the batch updated by index
// with momentum and re-normalised (in training mode only).
// The memory banks and Z are buffers ("memory_student", "memory_teacher",
// "z_student", "z_teacher"), so they are saved with the module.
#ifndef LOSSES_CRD_H_
#define LOSSES_CRD_H_

#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "losses/loss.h"

namespace kd {

class CrdLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "contrastive representation distillation with two momentum memory "
      "banks over the data set (RepDistiller)";
  static OptionSchema Schema();
  static absl::StatusOr<std::unique_ptr<Loss>> Create(
      const Options& options, const LossContext& context);

  // Its contrast and memory-bank updates read the batch together.
  bool couples_batch() const override { return true; }
  LossInputSet reads() const override;
  // Module::to(dtype) converts every buffer, integer ones too; the sampling
  // tables stay int64 (they are indices).
  void to(torch::Dtype dtype, bool non_blocking = false) override;
  void to(torch::Device device, torch::Dtype dtype,
          bool non_blocking = false) override;
  using Loss::to;
  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override;

  // The loss for given contrast indices [B, K+1] (column 0: the example's own
  // index; the rest: its negatives). Compute draws them and calls this;
  // tests call it directly to compare with a reference.
  absl::StatusOr<LossValue> ComputeWithContrast(const torch::Tensor& student,
                                                const torch::Tensor& teacher,
                                                const torch::Tensor& indices,
                                                const torch::Tensor& contrast);

  // [B, K+1] contrast indices for a batch: `indices` then K negatives.
  torch::Tensor SampleContrast(const torch::Tensor& indices,
                               const torch::Tensor& labels) const;

 private:
  CrdLoss() = default;

  bool use_pooled_ = false;
  bool class_sampling_ = true;
  int64_t num_negatives_ = 0;
  double temperature_ = 0;
  double momentum_ = 0;
  int64_t dataset_size_ = 0;
  // Class sampling: data-set indices sorted by label, and for every class
  // the offset of its first index in that order and its count (buffers).
  torch::Tensor by_label_, class_start_, class_count_, dataset_labels_;
  void KeepTablesInt64();

  torch::nn::Linear embed_student_{nullptr};
  torch::nn::Linear embed_teacher_{nullptr};
  torch::Tensor memory_student_, memory_teacher_, z_student_, z_teacher_;
};

}  // namespace kd

#endif  // LOSSES_CRD_H_
