// "cosine": cosine similarity between rows. A zero row has similarity 0
// with every row, itself included (its norm is floored at kRowNormEps).
#include <ATen/ATen.h>

#include "graph/graph_builder.h"
#include "graph/pairwise.h"
#include "kd/status_macros.h"

namespace kd {
namespace {

class CosineGraph : public GraphBuilder {
 public:
  static constexpr char kDoc[] =
      "cosine similarity between rows; a zero row has similarity 0 with "
      "every row, itself included";
  static OptionSchema Schema() { return {}; }
  static absl::StatusOr<std::unique_ptr<GraphBuilder>> Create(const Options&) {
    return std::unique_ptr<GraphBuilder>(new CosineGraph());
  }

  absl::StatusOr<torch::Tensor> CrossEdges(
      const torch::Tensor& a, const torch::Tensor& b) const override {
    KD_RETURN_IF_ERROR(CheckRowsPair("cosine graph", "a", a, "b", b));
    const torch::Tensor na = NormaliseRows(a);
    if (a.is_same(b)) return na.mm(na.t());
    return na.mm(NormaliseRows(b).t());
  }
};
KD_REGISTER(GraphBuilder, CosineGraph, "cosine");

}  // namespace
}  // namespace kd
