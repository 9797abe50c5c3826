#include "kd/eval/linear_probe.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/lbfgs.h>
#include <torch/optim/sgd.h>

#include <cmath>

#include "absl/strings/str_cat.h"

namespace kd {
namespace eval {
namespace {

absl::Status CheckSet(const at::Tensor& x, const at::Tensor& y,
                      const char* name, int64_t dim) {
  if (!x.defined() || x.dim() != 2 || x.size(0) < 1 ||
      (dim >= 0 && x.size(1) != dim)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "linear probe: ", name, " features must be a non-empty [N, ",
        dim >= 0 ? absl::StrCat(dim) : std::string("D"), "] tensor"));
  }
  if (!y.defined() || y.dim() != 1 || y.size(0) != x.size(0) ||
      at::isFloatingType(y.scalar_type())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "linear probe: ", name, " labels must be 1-D integers, one per row (",
        x.size(0), ")"));
  }
  if (y.min().item<int64_t>() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("linear probe: ", name, " labels must be >= 0"));
  }
  if (!at::isfinite(x).all().item<bool>()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "linear probe: ", name, " features hold non-finite values"));
  }
  return absl::OkStatus();
}

double Accuracy(const at::Tensor& x, const at::Tensor& y, const at::Tensor& w,
                const at::Tensor& b) {
  return x.mm(w).add(b).argmax(1).eq(y).to(at::kDouble).mean().item<double>();
}

}  // namespace

absl::StatusOr<LinearProbeResult> RunLinearProbe(
    const at::Tensor& train_features, const at::Tensor& train_labels,
    const at::Tensor& test_features, const at::Tensor& test_labels,
    const LinearProbeOptions& options) {
  if (absl::Status s = CheckSet(train_features, train_labels, "train", -1);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckSet(test_features, test_labels, "test", train_features.size(1));
      !s.ok()) {
    return s;
  }
  if (options.epochs < 1 || !(options.learning_rate > 0) ||
      options.batch_size < 1 || !(options.weight_decay >= 0) ||
      !(options.momentum >= 0 && options.momentum < 1)) {
    return absl::InvalidArgumentError(
        "linear probe: need epochs >= 1, learning_rate > 0, batch_size >= 1, "
        "weight_decay >= 0, momentum in [0, 1)");
  }
  const at::Device device = train_features.device();
  const at::Tensor y_train = train_labels.to(device, at::kLong);
  const at::Tensor y_test = test_labels.to(device, at::kLong);
  const int64_t max_label =
      std::max(y_train.max().item<int64_t>(), y_test.max().item<int64_t>());
  const int64_t num_classes =
      options.num_classes > 0 ? options.num_classes : max_label + 1;
  if (max_label >= num_classes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "linear probe: label ", max_label, " >= num_classes ", num_classes));
  }

  at::Tensor x_train = train_features.detach().to(device, at::kFloat);
  at::Tensor x_test = test_features.detach().to(device, at::kFloat);
  if (options.standardize) {
    const at::Tensor mean = x_train.mean({0}, true);
    at::Tensor std = x_train.std({0}, /*unbiased=*/false, /*keepdim=*/true);
    std = at::where(std > 1e-8, std, at::ones_like(std));  // constant columns
    x_train = (x_train - mean) / std;
    x_test = (x_test - mean) / std;
  }

  // Zero start: the problem is convex, so the seed only orders mini-batches.
  const int64_t n = x_train.size(0), dim = x_train.size(1);
  at::Tensor w = at::zeros({dim, num_classes}, x_train.options());
  at::Tensor b = at::zeros({num_classes}, x_train.options());
  w.set_requires_grad(true);
  b.set_requires_grad(true);
  const double decay = options.weight_decay;
  auto objective = [&](const at::Tensor& x, const at::Tensor& y) {
    at::Tensor loss = at::cross_entropy_loss(x.mm(w).add(b), y);
    if (decay > 0) loss = loss + 0.5 * decay * w.pow(2).sum();
    return loss;
  };

  double final_loss = 0;
  if (options.optimizer == ProbeOptimizer::kLbfgs) {
    torch::optim::LBFGS optimizer(
        {w, b}, torch::optim::LBFGSOptions(1.0).max_iter(20).line_search_fn(
                    "strong_wolfe"));
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
      optimizer.step([&] {
        optimizer.zero_grad();
        at::Tensor loss = objective(x_train, y_train);
        loss.backward();
        return loss;
      });
    }
  } else {
    torch::optim::SGD optimizer({w, b},
                                torch::optim::SGDOptions(options.learning_rate)
                                    .momentum(options.momentum));
    at::Generator generator =
        at::make_generator<at::CPUGeneratorImpl>(options.seed);
    const int64_t steps_per_epoch =
        (n + options.batch_size - 1) / options.batch_size;
    const int64_t total_steps = steps_per_epoch * options.epochs;
    int64_t step = 0;
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
      const at::Tensor order =
          at::randperm(n, generator, at::TensorOptions().dtype(at::kLong))
              .to(device);
      for (int64_t start = 0; start < n; start += options.batch_size, ++step) {
        // Cosine decay from the base rate to 0 over all steps.
        const double lr = options.learning_rate * 0.5 *
                          (1 + std::cos(M_PI * step / total_steps));
        static_cast<torch::optim::SGDOptions&>(
            optimizer.param_groups()[0].options())
            .lr(lr);
        const at::Tensor idx =
            order.narrow(0, start, std::min(options.batch_size, n - start));
        optimizer.zero_grad();
        at::Tensor loss = objective(x_train.index_select(0, idx),
                                    y_train.index_select(0, idx));
        loss.backward();
        optimizer.step();
      }
    }
  }
  LinearProbeResult result;
  {
    at::NoGradGuard no_grad;
    final_loss = objective(x_train, y_train).item<double>();
    result.train_accuracy = Accuracy(x_train, y_train, w, b);
    result.test_accuracy = Accuracy(x_test, y_test, w, b);
  }
  if (!std::isfinite(final_loss)) {
    return absl::InternalError(
        "linear probe diverged (non-finite loss): lower the learning rate");
  }
  result.final_train_loss = final_loss;
  return result;
}

}  // namespace eval
}  // namespace kd
