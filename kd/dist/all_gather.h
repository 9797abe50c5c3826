// All-gathers with gradients: every rank gets every rank's tensor, and the
// gradient flowing back to a rank's own tensor is the sum over ranks of the
// gradients its copies received (an all-reduce in the backward pass), as
// torch.distributed.nn.functional.all_gather. So a loss computed from the
// gathered tensors on every rank, with the gradients averaged over ranks
// afterwards (GradientBuckets), trains as the same loss on one process.
//
// Errors of the collectives are thrown (they happen inside the autograd
// graph) as std::runtime_error carrying DistGroup::Failure's message.
#ifndef KD_DIST_ALL_GATHER_H_
#define KD_DIST_ALL_GATHER_H_

#include <torch/types.h>

#include "kd/dist/dist_group.h"

namespace kd {

// [d0, ...] on every rank -> [world_size, d0, ...], rank r's tensor at index
// r. Shapes must agree on every rank. Differentiable when `local` requires
// gradients; a plain all-gather otherwise.
torch::Tensor AllGatherStacked(DistGroup& group, const torch::Tensor& local);

// The batch rows of every rank in the order of the whole batch. The loader
// gives rank r every world_size-th example of the epoch's order, starting at
// r (kd/data/loader.h), so rank r's row j is row j * world_size + r of the
// batch a single process would see: [B, ...] per rank -> [B * world_size,
// ...], interleaved accordingly.
torch::Tensor AllGatherBatch(DistGroup& group, const torch::Tensor& local);

}  // namespace kd

#endif  // KD_DIST_ALL_GATHER_H_
