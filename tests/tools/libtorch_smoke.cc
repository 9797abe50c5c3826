// Smoke test of the libtorch a build links (@libtorch//:torch): prints its
// version, whether it was built with CUDA (KD_WITH_CUDA) and sees a GPU, then
// runs a convolution forward and backward on each device named on the command
// line (default: cpu, and cuda when available). With several devices their
// loss and gradient must agree (TF32 off) to a relative 1e-4.
//
//   libtorch_smoke [cpu] [cuda] [cuda:1] ...
//
// Exit code 0: every device ran and agreed; 1 otherwise. Run by
// tests/tools/libtorch_layout_test.sh and scripts/gpu_check.sh.
#include <torch/torch.h>
#include <torch/version.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#ifndef KD_WITH_CUDA
#define KD_WITH_CUDA 0
#endif

namespace {

struct ConvResult {
  double loss = 0;
  double grad_norm = 0;
};

// The same seeded conv + batch norm + ReLU net on `device`, one forward and
// backward pass on a fixed input.
ConvResult ConvStep(const torch::Device& device) {
  torch::manual_seed(0);
  torch::nn::Sequential net(
      torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 16, 3).padding(1)),
      torch::nn::BatchNorm2d(16), torch::nn::ReLU(),
      torch::nn::AdaptiveAvgPool2d(1), torch::nn::Flatten(),
      torch::nn::Linear(16, 10));
  torch::Tensor x = torch::randn({8, 3, 32, 32});
  torch::Tensor y = torch::arange(8) % 10;
  net->to(device);
  torch::Tensor loss = torch::nn::functional::cross_entropy(
      net->forward(x.to(device)), y.to(device));
  loss.backward();
  double sq = 0;
  for (const torch::Tensor& p : net->parameters()) {
    sq += p.grad().pow(2).sum().item<double>();
  }
  return {loss.item<double>(), std::sqrt(sq)};
}

}  // namespace

int main(int argc, char** argv) {
  const bool cuda = torch::cuda::is_available();
  std::printf(
      "libtorch %s, built with CUDA (KD_WITH_CUDA): %d, "
      "CUDA available: %s (%d devices)\n",
      TORCH_VERSION, KD_WITH_CUDA, cuda ? "yes" : "no",
      static_cast<int>(torch::cuda::device_count()));
  std::vector<std::string> devices(argv + 1, argv + argc);
  if (devices.empty()) {
    devices.push_back("cpu");
    if (cuda) devices.push_back("cuda");
  }
  // Full fp32 convolutions and matrix products, so devices can agree.
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
  int failures = 0;
  ConvResult first;
  for (size_t i = 0; i < devices.size(); ++i) {
    try {
      const ConvResult r = ConvStep(torch::Device(devices[i]));
      std::printf("%s: conv forward+backward ok, loss %.6f, grad norm %.6f\n",
                  devices[i].c_str(), r.loss, r.grad_norm);
      if (i == 0) {
        first = r;
        continue;
      }
      const double dl = std::fabs(r.loss - first.loss) / std::fabs(first.loss);
      const double dg =
          std::fabs(r.grad_norm - first.grad_norm) / std::fabs(first.grad_norm);
      if (!(dl <= 1e-4 && dg <= 1e-4)) {
        std::printf("%s: differs from %s: loss %.2e, grad norm %.2e relative\n",
                    devices[i].c_str(), devices[0].c_str(), dl, dg);
        ++failures;
      }
    } catch (const std::exception& e) {
      std::printf("%s: FAILED: %s\n", devices[i].c_str(), e.what());
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}
