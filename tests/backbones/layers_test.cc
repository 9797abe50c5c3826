// The inference forms of every network of the zoo: BatchNorm folded into
// the preceding convolutions gives the eval-mode network's outputs, and bf16
// autocast with channels-last weights stays within a stated tolerance of
// fp32.
#include "backbones/layers.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "backbones/backbone.h"
#include "gtest/gtest.h"
#include "kd/base/precision.h"
#include "tests/backbones/zoo_test_util.h"

namespace kd {
namespace {

// The side each network is run at: its native one, but ImageNet networks at
// 64 (their stride-32 stem works there; 224 makes the test slow).
int64_t Side(const Backbone& net) {
  return net.native_input_size() > 64 ? 64 : net.native_input_size();
}

// Running statistics and affine parameters away from their 0/1 initial
// values, so that folding has something to fold.
void RandomizeBatchNorm(torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  const auto randomize = [](auto* bn) {
    bn->running_mean.uniform_(-0.5, 0.5);
    bn->running_var.uniform_(0.5, 2.0);
    bn->weight.uniform_(0.5, 1.5);
    bn->bias.uniform_(-0.2, 0.2);
  };
  for (const auto& m : net.modules(/*include_self=*/false)) {
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) randomize(bn);
    if (auto* bn = m->as<FoldableBatchNorm2dImpl>()) randomize(bn);
  }
}

std::unique_ptr<Backbone> Make(const std::string& name) {
  torch::manual_seed(3);
  std::unique_ptr<Backbone> net = testing::MakeBackbone(name, 10);
  if (net != nullptr) {
    RandomizeBatchNorm(*net);
    net->eval();
  }
  return net;
}

// Largest |a - b| over every output, relative to the largest |a|.
double MaxRelativeDifference(const BackboneOutput& a, const BackboneOutput& b) {
  double diff = 0, scale = 0;
  const auto add = [&](const torch::Tensor& x, const torch::Tensor& y) {
    diff = std::max(
        diff,
        (x.to(torch::kFloat) - y.to(torch::kFloat)).abs().max().item<double>());
    scale = std::max(scale, x.abs().max().item<double>());
  };
  add(a.pooled, b.pooled);
  add(a.logits, b.logits);
  for (size_t i = 0; i < a.stage_features.size(); ++i) {
    add(a.stage_features[i], b.stage_features[i]);
    add(a.preact_stage_features[i], b.preact_stage_features[i]);
  }
  return diff / std::max(scale, 1e-12);
}

TEST(FoldBatchNormTest, EveryNetworkFoldedGivesTheEvalModeOutputs) {
  torch::set_num_threads(1);
  for (const std::string& name : Backbone::Registry::Global().Names()) {
    SCOPED_TRACE(name);
    std::unique_ptr<Backbone> reference = Make(name);
    std::unique_ptr<Backbone> folded = Make(name);
    ASSERT_NE(folded, nullptr);
    const int count = FoldBatchNorm(*folded);
    // Every family has convolutions followed by BatchNorm (WRN: conv1-bn2).
    EXPECT_GT(count, 0);
    EXPECT_EQ(FoldBatchNorm(*folded), 0) << "folded twice";
    const torch::Tensor images =
        torch::randn({2, 3, Side(*folded), Side(*folded)});
    torch::NoGradGuard no_grad;
    const BackboneOutput want = reference->Forward(images);
    const BackboneOutput got = folded->Forward(images);
    EXPECT_LE(MaxRelativeDifference(want, got), 1e-5);
  }
}

TEST(FoldBatchNormTest, FoldsIntoTheConvolutionThatPrecedesIt) {
  torch::manual_seed(0);
  torch::nn::Conv2d conv = MakeConv(3, 4, 3, 1, 1);
  FoldableBatchNorm2d bn(conv, 4);
  {
    torch::NoGradGuard no_grad;
    bn->running_mean.copy_(torch::tensor({0.5, -1.0, 0.0, 2.0}));
    bn->running_var.copy_(torch::tensor({4.0, 0.25, 1.0, 9.0}));
    bn->weight.copy_(torch::tensor({1.0, 2.0, -1.0, 0.5}));
    bn->bias.copy_(torch::tensor({0.0, 1.0, 0.5, -2.0}));
  }
  bn->eval();
  const torch::Tensor x = torch::randn({2, 3, 5, 5});
  torch::NoGradGuard no_grad;
  const torch::Tensor want = bn(conv(x));
  bn->FoldIntoConv();
  EXPECT_TRUE(bn->folded());
  ASSERT_TRUE(conv->bias.defined());
  // bias = beta - mean * gamma / sqrt(var + eps), by hand for channel 1:
  // 1 - (-1) * 2 / sqrt(0.25 + 1e-5).
  EXPECT_NEAR(conv->bias[1].item<double>(), 1.0 + 2.0 / std::sqrt(0.25 + 1e-5),
              1e-5);
  const torch::Tensor got = bn(conv(x));
  EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-5));
}

// Unfolded, FoldableBatchNorm2d is torch::nn::BatchNorm2d bit for bit:
// training-mode output, running statistics, batch count and gradients, then
// eval-mode output. (The zoo's networks train exactly as before.)
TEST(FoldableBatchNormTest, TrainsExactlyAsBatchNorm2d) {
  torch::manual_seed(1);
  torch::nn::BatchNorm2d reference(5);
  FoldableBatchNorm2d foldable(MakeConv(3, 5, 1, 1, 0), 5);
  {
    torch::NoGradGuard no_grad;
    reference->weight.uniform_(0.5, 1.5);
    reference->bias.uniform_(-0.5, 0.5);
    foldable->weight.copy_(reference->weight);
    foldable->bias.copy_(reference->bias);
  }
  for (int step = 0; step < 2; ++step) {
    const torch::Tensor x = torch::randn({4, 5, 3, 3}) * 2 + 1;
    const torch::Tensor want = reference(x);
    const torch::Tensor got = foldable(x);
    EXPECT_TRUE(got.equal(want));
    (want * want).sum().backward();
    (got * got).sum().backward();
  }
  EXPECT_TRUE(foldable->running_mean.equal(reference->running_mean));
  EXPECT_TRUE(foldable->running_var.equal(reference->running_var));
  EXPECT_EQ(foldable->num_batches_tracked.item<int64_t>(), 2);
  EXPECT_TRUE(
      foldable->num_batches_tracked.equal(reference->num_batches_tracked));
  EXPECT_TRUE(foldable->weight.grad().equal(reference->weight.grad()));
  EXPECT_TRUE(foldable->bias.grad().equal(reference->bias.grad()));
  reference->eval();
  foldable->eval();
  const torch::Tensor x = torch::randn({2, 5, 3, 3});
  EXPECT_TRUE(foldable(x).equal(reference(x)));
  // The same names as BatchNorm2d's, so state dicts are unchanged.
  std::vector<std::string> names, want_names;
  for (const auto& p : foldable->named_parameters()) names.push_back(p.key());
  for (const auto& b : foldable->named_buffers()) names.push_back(b.key());
  for (const auto& p : reference->named_parameters()) {
    want_names.push_back(p.key());
  }
  for (const auto& b : reference->named_buffers()) {
    want_names.push_back(b.key());
  }
  EXPECT_EQ(names, want_names);
}

// bf16 autocast with channels-last weights against fp32, every network, in
// eval mode: the logits' largest error relative to their largest magnitude.
// bf16 keeps 8 bits of mantissa (relative rounding 2^-9 = 0.2 % per operand),
// accumulated in fp32; 5 % is where a deep network's outputs stay.
// Synchronised BatchNorm, in float64 so the comparison is exact to rounding:
// two "replicas" holding the two halves of a batch, each gathering the other's
// statistics, compute what BatchNorm computes on the whole batch -- outputs,
// gradients of the input, weight and bias, and the running statistics.
TEST(SynchronizedBatchNormTest, TwoHalvesComputeWhatTheWholeBatchDoes) {
  torch::manual_seed(5);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor x = torch::randn({6, 3, 4, 4}, f64) * 2 + 0.5;
  const torch::Tensor weight0 = torch::rand({3}, f64) + 0.5;
  const torch::Tensor bias0 = torch::randn({3}, f64);
  const torch::Tensor up = torch::randn({6, 3, 4, 4}, f64);  // d loss / d y

  // The whole batch through torch::batch_norm.
  torch::Tensor whole_x = x.clone().requires_grad_();
  torch::Tensor w = weight0.clone().requires_grad_();
  torch::Tensor b = bias0.clone().requires_grad_();
  torch::Tensor rm = torch::zeros({3}, f64), rv = torch::ones({3}, f64);
  const torch::Tensor whole_y =
      torch::batch_norm(whole_x, w, b, rm, rv, true, 0.1, 1e-5, false);
  (whole_y * up).sum().backward();

  // Replica 0 holds rows 0..3, replica 1 rows 4..5 (uneven on purpose); each
  // replica's module sees its rows and gathers the other replica's
  // statistics (computed here from its rows, as the other rank would).
  const std::vector<std::pair<int64_t, int64_t>> halves = {{0, 4}, {4, 2}};
  const auto statistics = [&](const torch::Tensor& rows) {
    const torch::Tensor mean = rows.mean({0, 2, 3});
    const torch::Tensor m2 =
        (rows - mean.view({1, 3, 1, 1})).square().sum({0, 2, 3});
    return torch::cat({torch::full({1}, rows.numel() / 3.0, f64), mean, m2});
  };
  torch::Tensor w_grad = torch::zeros({3}, f64),
                b_grad = torch::zeros({3}, f64);
  for (int replica = 0; replica < 2; ++replica) {
    const auto [start, count] = halves[replica];
    const auto [other_start, other_count] = halves[1 - replica];
    const torch::Tensor other =
        statistics(x.narrow(0, other_start, other_count));
    FoldableBatchNorm2d bn(MakeConv(3, 3, 1, 1, 0), 3);
    bn->to(torch::kFloat64);
    {
      torch::NoGradGuard no_grad;
      bn->weight.copy_(weight0);
      bn->bias.copy_(bias0);
    }
    bn->set_replica_gather([&](const torch::Tensor& mine) {
      return replica == 0 ? torch::stack({mine, other})
                          : torch::stack({other, mine});
    });
    bn->train();
    torch::Tensor part = x.narrow(0, start, count).clone().requires_grad_();
    const torch::Tensor y = bn->forward(part);
    EXPECT_TRUE(
        torch::allclose(y, whole_y.narrow(0, start, count), 1e-12, 1e-12));
    // Each replica's loss is its rows' part: the input gradient of its own
    // rows through every path, as the whole batch's.
    (y * up.narrow(0, start, count)).sum().backward();
    // Only the other replica's share of the statistics' paths is missing
    // here; in a run it arrives through the gather's all-reduce. So check
    // the parameter gradients summed over replicas (what the gradient
    // average times world_size is) and the running statistics.
    w_grad += bn->weight.grad();
    b_grad += bn->bias.grad();
    EXPECT_TRUE(torch::allclose(bn->running_mean, rm, 1e-12, 1e-12));
    EXPECT_TRUE(torch::allclose(bn->running_var, rv, 1e-12, 1e-12));
  }
  EXPECT_TRUE(torch::allclose(w_grad, w.grad(), 1e-10, 1e-10));
  EXPECT_TRUE(torch::allclose(b_grad, b.grad(), 1e-10, 1e-10));
}

// One replica (a gather returning its own statistics) is plain BatchNorm,
// input gradient included.
TEST(SynchronizedBatchNormTest, OneReplicaIsBatchNorm) {
  torch::manual_seed(6);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor x = torch::randn({5, 2, 3, 3}, f64) * 3 - 1;
  const torch::Tensor up = torch::randn({5, 2, 3, 3}, f64);
  FoldableBatchNorm2d bn(MakeConv(2, 2, 1, 1, 0), 2);
  bn->to(torch::kFloat64);
  bn->set_replica_gather(
      [](const torch::Tensor& mine) { return mine.unsqueeze(0); });
  bn->train();
  torch::Tensor a = x.clone().requires_grad_();
  (bn->forward(a) * up).sum().backward();
  torch::Tensor b = x.clone().requires_grad_();
  torch::Tensor w = torch::ones({2}, f64).requires_grad_();
  torch::Tensor rm = torch::zeros({2}, f64), rv = torch::ones({2}, f64);
  (torch::batch_norm(b, w, torch::zeros({2}, f64), rm, rv, true, 0.1, 1e-5,
                     false) *
   up)
      .sum()
      .backward();
  EXPECT_TRUE(torch::allclose(a.grad(), b.grad(), 1e-10, 1e-10));
  EXPECT_TRUE(torch::allclose(bn->weight.grad(), w.grad(), 1e-10, 1e-10));
  EXPECT_TRUE(torch::allclose(bn->running_var, rv, 1e-12, 1e-12));
}

TEST(PrecisionTest, EveryNetworkInBf16ChannelsLastStaysNearFp32) {
  torch::set_num_threads(1);
  for (const std::string& name : Backbone::Registry::Global().Names()) {
    SCOPED_TRACE(name);
    std::unique_ptr<Backbone> net = Make(name);
    ASSERT_NE(net, nullptr);
    const torch::Tensor images = torch::randn({2, 3, Side(*net), Side(*net)});
    torch::NoGradGuard no_grad;
    const torch::Tensor want = net->Forward(images).logits;
    ToChannelsLast(*net);
    torch::Tensor got;
    {
      AutocastScope autocast(Precision::kBf16, torch::kCPU);
      got = net->Forward(images).logits;
    }
    EXPECT_EQ(got.scalar_type(), torch::kBFloat16);
    const double error =
        (got.to(torch::kFloat) - want).abs().max().item<double>() /
        want.abs().max().item<double>();
    EXPECT_LE(error, 0.05);
    EXPECT_GT(error, 0.0) << "bf16 changed nothing: autocast is off";
  }
}

}  // namespace
}  // namespace kd
