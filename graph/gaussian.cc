// "gaussian": Gaussian (RBF) kernel between rows, exp(-|a_i - b_j|^2 /
// (2 sigma^2)); 1 on the diagonal of Edges.
#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "graph/graph_builder.h"
#include "graph/pairwise.h"
#include "kd/status_macros.h"

namespace kd {
namespace {

class GaussianGraph : public GraphBuilder {
 public:
  static constexpr char kDoc[] =
      "Gaussian kernel exp(-|a_i - b_j|^2 / (2 sigma^2)) between rows";
  static OptionSchema Schema() {
    return {{"sigma", OptionType::kDouble, "1", "kernel bandwidth (> 0)"}};
  }
  static absl::StatusOr<std::unique_ptr<GraphBuilder>> Create(
      const Options& options) {
    const double sigma = options.GetDouble("sigma");
    if (!(sigma > 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "gaussian graph: sigma must be > 0 (found ", sigma, ")"));
    }
    return std::unique_ptr<GraphBuilder>(new GaussianGraph(sigma));
  }

  absl::StatusOr<torch::Tensor> CrossEdges(
      const torch::Tensor& a, const torch::Tensor& b) const override {
    KD_RETURN_IF_ERROR(CheckRowsPair("gaussian graph", "a", a, "b", b));
    const torch::Tensor d2 =
        a.is_same(b) ? SelfSquaredDistances(a) : PairwiseSquaredDistances(a, b);
    return at::exp(d2 * (-0.5 / (sigma_ * sigma_)));
  }

 private:
  explicit GaussianGraph(double sigma) : sigma_(sigma) {}
  double sigma_;
};
KD_REGISTER(GraphBuilder, GaussianGraph, "gaussian");

}  // namespace
}  // namespace kd
