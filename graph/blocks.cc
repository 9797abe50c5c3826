#include "graph/blocks.h"

#include <ATen/ATen.h>

#include "graph/pairwise.h"
#include "kd/status_macros.h"

namespace kd {

absl::StatusOr<GraphBlocks> BuildBlocks(const GraphBuilder& builder,
                                        const torch::Tensor& a,
                                        const torch::Tensor& b) {
  KD_RETURN_IF_ERROR(CheckRowsPair("graph blocks", "a", a, "b", b));
  const int64_t na = a.size(0);
  const int64_t nb = b.size(0);
  KD_ASSIGN_OR_RETURN(torch::Tensor edges, builder.Edges(at::cat({a, b}, 0)));
  GraphBlocks blocks;
  blocks.aa = edges.slice(0, 0, na).slice(1, 0, na);
  blocks.bb = edges.slice(0, na, na + nb).slice(1, na, na + nb);
  blocks.ab = edges.slice(0, 0, na).slice(1, na, na + nb);
  return blocks;
}

}  // namespace kd
