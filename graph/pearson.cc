// "pearson": Pearson correlation between instances (rows) across feature
// dimensions, EGA's graph. C_ij = <x~_i, y~_j> / (|x~_i| |y~_j|) with x~ the
// row minus its mean (numpy's corrcoef with rows as variables).
//
// Zero-variance rows: the reference divides by zero and yields NaN. Here a
// centred row's norm is floored at kRowNormEps, so a zero-variance row has
// correlation 0 with every row, itself included (its self-edge is 0, not 1),
// and finite gradients.
#include <ATen/ATen.h>

#include "graph/graph_builder.h"
#include "graph/pairwise.h"
#include "kd/status_macros.h"

namespace kd {
namespace {

class PearsonGraph : public GraphBuilder {
 public:
  static constexpr char kDoc[] =
      "Pearson correlation between rows (EGA's graph); a zero-variance row "
      "has correlation 0 with every row, itself included";
  static OptionSchema Schema() { return {}; }
  static absl::StatusOr<std::unique_ptr<GraphBuilder>> Create(const Options&) {
    return std::unique_ptr<GraphBuilder>(new PearsonGraph());
  }

  absl::StatusOr<torch::Tensor> CrossEdges(
      const torch::Tensor& a, const torch::Tensor& b) const override {
    KD_RETURN_IF_ERROR(CheckRowsPair("pearson graph", "a", a, "b", b));
    const torch::Tensor na = NormaliseRows(CentreRows(a));
    if (a.is_same(b)) return na.mm(na.t());
    return na.mm(NormaliseRows(CentreRows(b)).t());
  }
};
KD_REGISTER(GraphBuilder, PearsonGraph, "pearson");

}  // namespace
}  // namespace kd
