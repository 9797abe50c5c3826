// Checks the loss plugins make on their inputs, with errors that name the
// loss and the input ("ega needs teacher_embed (it was not given)"), and
// accessors for the parts of LossInputs several losses read.
#ifndef LOSSES_LOSS_INPUTS_H_
#define LOSSES_LOSS_INPUTS_H_

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kd/base/tensor_text.h"
#include "losses/loss.h"

namespace kd {

// OK if x is defined and has `batch` rows; else INVALID_ARGUMENT.
absl::Status CheckBatch(absl::string_view loss, absl::string_view what,
                        const torch::Tensor& x, int64_t batch);

// Student and teacher node embeddings [B, Ds], [B, Dt]: both defined,
// floating, same dtype and batch; with `same_width` also Ds == Dt. The
// teacher's is returned detached.
struct EmbeddingPair {
  torch::Tensor student;
  torch::Tensor teacher;  // detached
};
absl::StatusOr<EmbeddingPair> StudentTeacherEmbeddings(absl::string_view loss,
                                                       const LossInputs& inputs,
                                                       bool same_width);

// The same for the backbones' pooled features (LossInputs::student->pooled,
// teacher->pooled): "crd needs student pooled features".
absl::StatusOr<EmbeddingPair> StudentTeacherPooled(absl::string_view loss,
                                                   const LossInputs& inputs,
                                                   bool same_width);

// Student and teacher logits, both [B, K]; the teacher's detached.
absl::StatusOr<EmbeddingPair> StudentTeacherLogits(absl::string_view loss,
                                                   const LossInputs& inputs);

// Labels (or indices, per `what`): a defined 1-D int64 tensor of `batch`
// entries, each in [0, limit) when limit > 0.
absl::StatusOr<torch::Tensor> IntegerInput(absl::string_view loss,
                                           absl::string_view what,
                                           const torch::Tensor& x,
                                           int64_t batch, int64_t limit);

// Feature map of stage `stage` of `side` ("student" or "teacher"), [B, C, H,
// W], from `output` (post-activation, or pre-activation with `preact`).
absl::StatusOr<torch::Tensor> StageFeature(absl::string_view loss,
                                           absl::string_view side,
                                           const BackboneOutput* output,
                                           int64_t stage, bool preact);

// Every post-activation stage feature map of `side` from `output`, each a
// float [B, C, H, W] tensor; at least one ("at needs the teacher backbone's
// stage feature maps (none were given)").
absl::StatusOr<std::vector<torch::Tensor>> StageFeatures(
    absl::string_view loss, absl::string_view side,
    const BackboneOutput* output);

// One intermediate stage of student and teacher, resampled to one spatial
// size: the larger map adaptively average-pooled to the smaller's H x W (as
// RepDistiller's AT and VID). The teacher's is detached.
struct StagePair {
  int64_t stage;  // index into BackboneOutput::stage_features
  torch::Tensor student;
  torch::Tensor teacher;
};

// The stages RepDistiller's AT and VID match (its feat[1:-1]): 1 .. n-1, n
// the smaller of the two stage counts (stage 0 is the stem). Errors: missing
// maps, a batch mismatch, fewer than two stages on either side.
absl::StatusOr<std::vector<StagePair>> IntermediateStagePairs(
    absl::string_view loss, const LossInputs& inputs);

// How many pairs IntermediateStagePairs gives for networks with these stage
// counts (to size a loss's modules from LossContext): min - 1, or 0.
int64_t IntermediateStageCount(int64_t student_stages, int64_t teacher_stages);

}  // namespace kd

#endif  // LOSSES_LOSS_INPUTS_H_
