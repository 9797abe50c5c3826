// Helpers for the graph builder tests.
#ifndef TESTS_GRAPH_GRAPH_TEST_UTIL_H_
#define TESTS_GRAPH_GRAPH_TEST_UTIL_H_

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "glog/logging.h"
#include "graph/graph_builder.h"

namespace kd {
namespace testing {

inline std::unique_ptr<GraphBuilder> MakeGraph(const std::string& spec) {
  auto graph = GraphBuilder::Registry::Global().Create(spec);
  CHECK(graph.ok()) << graph.status();
  return std::move(graph).value();
}

inline at::Tensor Rows(std::vector<double> values, int64_t cols) {
  const int64_t rows = static_cast<int64_t>(values.size()) / cols;
  return at::tensor(values, at::kDouble).reshape({rows, cols});
}

// Central finite-difference gradient of sum(w * f(x)) with respect to x.
template <typename F>
at::Tensor NumericGradient(F f, const at::Tensor& x, const at::Tensor& w,
                           double h = 1e-6) {
  at::Tensor grad = at::zeros_like(x);
  at::Tensor flat = x.clone();
  for (int64_t i = 0; i < x.numel(); ++i) {
    at::Tensor plus = flat.clone(), minus = flat.clone();
    plus.view(-1)[i] += h;
    minus.view(-1)[i] -= h;
    grad.view(-1)[i] =
        ((f(plus) * w).sum() - (f(minus) * w).sum()).template item<double>() /
        (2 * h);
  }
  return grad;
}

}  // namespace testing
}  // namespace kd

#endif  // TESTS_GRAPH_GRAPH_TEST_UTIL_H_
