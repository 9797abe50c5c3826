// "sq_euclidean": squared Euclidean distance between rows (IRG's edges),
// optionally divided by the largest entry as IRG does.
#include <ATen/ATen.h>

#include "graph/graph_builder.h"
#include "graph/pairwise.h"
#include "kd/status_macros.h"

namespace kd {
namespace {

class SquaredEuclideanGraph : public GraphBuilder {
 public:
  static constexpr char kDoc[] =
      "squared Euclidean distance between rows (exact 0 on the diagonal of "
      "Edges)";
  static OptionSchema Schema() {
    return {{"max_normalise", OptionType::kBool, "false",
             "divide by the largest distance (IRG's normalisation)"}};
  }
  static absl::StatusOr<std::unique_ptr<GraphBuilder>> Create(
      const Options& options) {
    return std::unique_ptr<GraphBuilder>(
        new SquaredEuclideanGraph(options.GetBool("max_normalise")));
  }

  absl::StatusOr<torch::Tensor> CrossEdges(
      const torch::Tensor& a, const torch::Tensor& b) const override {
    KD_RETURN_IF_ERROR(CheckRowsPair("sq_euclidean graph", "a", a, "b", b));
    torch::Tensor d2 =
        a.is_same(b) ? SelfSquaredDistances(a) : PairwiseSquaredDistances(a, b);
    return max_normalise_ ? DivideByMax(d2) : d2;
  }

 private:
  explicit SquaredEuclideanGraph(bool max_normalise)
      : max_normalise_(max_normalise) {}
  bool max_normalise_;
};
KD_REGISTER(GraphBuilder, SquaredEuclideanGraph, "sq_euclidean");

}  // namespace
}  // namespace kd
