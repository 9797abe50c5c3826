// Loss maths used by more than one loss plugin (KD and CCL share the
// tempered KL divergence; NCE and CCL share the label-aware contrastive
// loss). Plain differentiable functions; inputs are assumed checked.
#ifndef LOSSES_FUNCTIONAL_H_
#define LOSSES_FUNCTIONAL_H_

#include <torch/types.h>

namespace kd {

// KL(p || q) with p = softmax(target_logits / T), q = softmax(logits / T):
// summed over classes, averaged over the batch (F.kl_div(log q, p,
// reduction='batchmean')). Without the T^2 factor of Hinton's KD.
torch::Tensor SoftmaxKl(const torch::Tensor& target_logits,
                        const torch::Tensor& logits, double temperature);

// CCL's label-aware in-batch contrastive loss between anchors a [B, D] and
// candidates b [B, D]: rows L2-normalised (eps 1e-12, F.normalize),
// P = row-softmax(a b^T / T); for row i, positives are the j with
// labels[j] == labels[i] (j = i included), negatives the others; per row
// mean_pos(-log(P + 1e-10)) + mean_neg(-log(1 - P + 1e-10)); mean over rows.
// A row without negatives (every label equal) has a negative term of 0
// (the reference divides 0 by 0 and yields NaN).
torch::Tensor LabelAwareNce(const torch::Tensor& a, const torch::Tensor& b,
                            const torch::Tensor& labels, double temperature);

}  // namespace kd

#endif  // LOSSES_FUNCTIONAL_H_
