#include "tests/backbones/zoo_test_util.h"

#include <torch/autograd.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"

namespace kd {
namespace testing {

std::string TestDataPath(const std::string& file) {
  return RunfilePath("tests/backbones/testdata/" + file);
}

std::unique_ptr<Backbone> MakeBackbone(const std::string& name,
                                       int64_t num_classes) {
  BackboneConfig config;
  config.num_classes = num_classes;
  auto backbone = Backbone::Registry::Global().Create(name, config);
  EXPECT_TRUE(backbone.ok()) << backbone.status();
  return backbone.ok() ? std::move(backbone).value() : nullptr;
}

int64_t CountParameters(const torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& p : module.parameters()) count += p.numel();
  return count;
}

void ExpectForwardBackward(const std::string& name, int64_t side,
                           int64_t num_classes) {
  SCOPED_TRACE(name + " at " + std::to_string(side) + "x" +
               std::to_string(side));
  // Batch-2 work gains nothing from a second thread, and OpenMP threads
  // spinning on a shared, loaded machine make it several times slower.
  torch::set_num_threads(1);
  std::unique_ptr<Backbone> net = MakeBackbone(name, num_classes);
  ASSERT_NE(net, nullptr);
  net->train();
  torch::manual_seed(0);
  const torch::Tensor images = torch::randn({2, 3, side, side});
  BackboneOutput out = net->Forward(images);
  ASSERT_TRUE(out.logits.defined());
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, num_classes}));
  EXPECT_EQ(out.pooled.sizes(), (std::vector<int64_t>{2, net->feature_dim()}));
  const std::vector<int64_t> channels = net->stage_channels();
  ASSERT_EQ(out.stage_features.size(), channels.size());
  ASSERT_EQ(out.preact_stage_features.size(), channels.size());
  for (size_t i = 0; i < channels.size(); ++i) {
    SCOPED_TRACE("stage " + std::to_string(i));
    const torch::Tensor& f = out.stage_features[i];
    ASSERT_EQ(f.dim(), 4);
    EXPECT_EQ(f.size(0), 2);
    EXPECT_EQ(f.size(1), channels[i]);
    EXPECT_EQ(out.preact_stage_features[i].sizes(), f.sizes());
    EXPECT_TRUE(torch::isfinite(f).all().item<bool>());
    if (i > 0) {  // deeper stages never grow spatially
      EXPECT_LE(f.size(2), out.stage_features[i - 1].size(2));
    }
  }
  EXPECT_TRUE(torch::isfinite(out.logits).all().item<bool>());
  (out.logits.square().sum() + out.pooled.sum()).backward();
  std::vector<std::string> without_grad;
  for (const auto& p : net->named_parameters()) {
    if (!p.value().grad().defined() ||
        !torch::isfinite(p.value().grad()).all().item<bool>()) {
      without_grad.push_back(p.key());
    }
  }
  EXPECT_TRUE(without_grad.empty()) << "parameters without a finite gradient: "
                                    << absl::StrJoin(without_grad, ", ");
}

BackboneOutput RunEval(const std::string& name, int64_t side) {
  torch::set_num_threads(1);
  std::unique_ptr<Backbone> net = MakeBackbone(name, 10);
  if (net == nullptr) return {};
  net->eval();
  torch::NoGradGuard no_grad;
  return net->Forward(torch::randn({2, 3, side, side}));
}

std::vector<int64_t> StageSides(const BackboneOutput& out) {
  std::vector<int64_t> sides;
  for (const auto& f : out.stage_features) sides.push_back(f.size(2));
  return sides;
}

void ExpectHeNormalConvs(torch::nn::Module& module, int64_t out_channels) {
  int checked = 0;
  for (const auto& m : module.modules(/*include_self=*/false)) {
    auto* conv = m->as<torch::nn::Conv2dImpl>();
    if (conv == nullptr || conv->weight.size(0) != out_channels) continue;
    const torch::Tensor w = conv->weight.to(torch::kDouble);
    const double expected =
        std::sqrt(2.0 / (w.size(0) * w.size(2) * w.size(3)));
    if (w.numel() < 10000) continue;  // too few values for a tight check
    EXPECT_NEAR(w.std().item<double>(), expected, 0.05 * expected);
    EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.05 * expected);
    if (conv->bias.defined()) {
      EXPECT_EQ(conv->bias.abs().max().item<double>(), 0.0);
    }
    ++checked;
  }
  EXPECT_GT(checked, 0) << "no convolution with " << out_channels
                        << " outputs and enough weights";
}

void ExpectStateMatchesReference(const std::string& name) {
  SCOPED_TRACE(name);
  std::ifstream in(TestDataPath("reference_state_shapes.txt"));
  ASSERT_TRUE(in) << "cannot open "
                  << TestDataPath("reference_state_shapes.txt");
  std::vector<std::string> expected;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string network, entry, shape;
    fields >> network >> entry >> shape;
    if (network == name) expected.push_back(entry + " " + shape);
  }
  ASSERT_FALSE(expected.empty()) << "no reference entries for " << name;

  std::unique_ptr<Backbone> net = MakeBackbone(name, 100);
  ASSERT_NE(net, nullptr);
  // PyTorch orders a state dict by module: a module's own parameters, then
  // its own buffers, then its children's. Sort both sides to compare sets,
  // and compare names with shapes.
  std::vector<std::string> actual;
  auto shape_of = [](const torch::Tensor& t) {
    return t.dim() == 0 ? std::string("-") : absl::StrJoin(t.sizes(), "x");
  };
  for (const auto& p : net->named_parameters()) {
    actual.push_back(p.key() + " " + shape_of(p.value()));
  }
  for (const auto& b : net->named_buffers()) {
    actual.push_back(b.key() + " " + shape_of(b.value()));
  }
  std::sort(expected.begin(), expected.end());
  std::sort(actual.begin(), actual.end());
  std::vector<std::string> only_reference, only_here;
  std::set_difference(expected.begin(), expected.end(), actual.begin(),
                      actual.end(), std::back_inserter(only_reference));
  std::set_difference(actual.begin(), actual.end(), expected.begin(),
                      expected.end(), std::back_inserter(only_here));
  EXPECT_TRUE(only_reference.empty() && only_here.empty())
      << "only in the reference: " << absl::StrJoin(only_reference, ", ")
      << "\nonly here: " << absl::StrJoin(only_here, ", ");
}

namespace {

void ExpectNetworkMatchesReference(const ReferenceCount& ref,
                                   int64_t native_size) {
  SCOPED_TRACE(ref.name);
  const std::pair<int64_t, int64_t> counts[] = {
      {10, ref.classes10}, {100, ref.classes100}, {200, ref.classes200}};
  for (const auto& [classes, expected] : counts) {
    std::unique_ptr<Backbone> net = MakeBackbone(ref.name, classes);
    ASSERT_NE(net, nullptr);
    EXPECT_EQ(CountParameters(*net), expected) << classes << " classes";
  }
  ExpectStateMatchesReference(ref.name);
  EXPECT_EQ(MakeBackbone(ref.name)->native_input_size(), native_size);
  ExpectForwardBackward(ref.name, native_size);
}

}  // namespace

void ExpectMatchesReference(absl::Span<const ReferenceCount> table,
                            int64_t native_size) {
  for (const ReferenceCount& ref : table) {
    ExpectNetworkMatchesReference(ref, native_size);
  }
}

void ExpectPyTorchDefaultConv(const std::string& name,
                              const std::string& parameter) {
  SCOPED_TRACE(name + " " + parameter);
  torch::manual_seed(0);
  std::unique_ptr<Backbone> net = MakeBackbone(name, 100);
  ASSERT_NE(net, nullptr);
  auto params = net->named_parameters();
  ASSERT_NE(params.find(parameter), nullptr) << "no parameter " << parameter;
  const torch::Tensor w = params[parameter];
  const float bound =
      1.0f / std::sqrt(static_cast<float>(w.size(1) * w.size(2) * w.size(3)));
  EXPECT_LE(w.abs().max().item<float>(), bound);
  EXPECT_GT(w.abs().max().item<float>(), 0.95f * bound);
}

}  // namespace testing
}  // namespace kd
