// GraphBuilder: turns a batch of embeddings into the edge matrix of a graph
// whose nodes are the batch's instances (EGA's Pearson graph, cosine
// similarity, distance kernels used by RKD/IRG-style losses).
#ifndef GRAPH_GRAPH_BUILDER_H_
#define GRAPH_GRAPH_BUILDER_H_

#include <torch/types.h>

#include "absl/status/statusor.h"
#include "kd/registry.h"

namespace kd {

class GraphBuilder {
 public:
  static constexpr char kPluginKind[] = "graph builder";
  using Registry = ::kd::Registry<GraphBuilder>;

  virtual ~GraphBuilder() = default;

  // Edges between every row of `a` [Ba, D] and every row of `b` [Bb, D]:
  // [Ba, Bb]. Differentiable with respect to both. Shape mismatches are
  // INVALID_ARGUMENT.
  virtual absl::StatusOr<torch::Tensor> CrossEdges(
      const torch::Tensor& a, const torch::Tensor& b) const = 0;

  // Edges among the rows of `x` [B, D]: [B, B].
  absl::StatusOr<torch::Tensor> Edges(const torch::Tensor& x) const {
    return CrossEdges(x, x);
  }
};

}  // namespace kd

#endif  // GRAPH_GRAPH_BUILDER_H_
