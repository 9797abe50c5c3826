// The stacked graph call of the EGA reference: build the graph once on
// [a; b] (teacher rows then student rows) and slice its blocks.
#ifndef GRAPH_BLOCKS_H_
#define GRAPH_BLOCKS_H_

#include <torch/types.h>

#include "absl/status/statusor.h"
#include "graph/graph_builder.h"

namespace kd {

struct GraphBlocks {
  torch::Tensor aa;  // [Ba, Ba] edges among the rows of a (EGA's E_t)
  torch::Tensor bb;  // [Bb, Bb] edges among the rows of b (EGA's E_s)
  torch::Tensor ab;  // [Ba, Bb] row i of a to row j of b (EGA's N)
};

// Builds `builder`'s graph on the rows of [a; b] and returns its three
// blocks. a [Ba, D] and b [Bb, D] must share D and dtype (INVALID_ARGUMENT
// otherwise). Differentiable with respect to both.
absl::StatusOr<GraphBlocks> BuildBlocks(const GraphBuilder& builder,
                                        const torch::Tensor& a,
                                        const torch::Tensor& b);

}  // namespace kd

#endif  // GRAPH_BLOCKS_H_
