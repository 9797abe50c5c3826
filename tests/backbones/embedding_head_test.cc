#include "backbones/embedding_head.h"

#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kd {
namespace {

TEST(EmbeddingHeadTest, ShapesAndParameterNames) {
  EmbeddingHead head(256, 128, 100);
  EXPECT_EQ(head->embed_dim(), 128);
  const EmbeddingHeadOutput out = head->Forward(torch::randn({4, 256}));
  EXPECT_EQ(out.embedding.sizes(), (std::vector<int64_t>{4, 128}));
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{4, 100}));
  std::vector<std::string> names;
  for (const auto& p : head->named_parameters()) names.push_back(p.key());
  EXPECT_EQ(names,
            (std::vector<std::string>{"embed.weight", "embed.bias",
                                      "classifier.weight", "classifier.bias"}));
}

TEST(EmbeddingHeadTest, IsTwoAffineMapsWithoutActivation) {
  torch::manual_seed(3);
  EmbeddingHead head(5, 3, 2);
  auto params = head->named_parameters();
  const torch::Tensor x = torch::randn({6, 5}, torch::kDouble);
  head->to(torch::kDouble);
  const EmbeddingHeadOutput out = head->Forward(x);
  const torch::Tensor embedding =
      x.matmul(params["embed.weight"].t()) + params["embed.bias"];
  const torch::Tensor logits =
      embedding.matmul(params["classifier.weight"].t()) +
      params["classifier.bias"];
  EXPECT_TRUE(torch::allclose(out.embedding, embedding, 0, 1e-12));
  EXPECT_TRUE(torch::allclose(out.logits, logits, 0, 1e-12));
  // Negative embedding values survive: no ReLU.
  EXPECT_LT(out.embedding.min().item<double>(), 0.0);
}

// PyTorch's default Linear init: weight and bias U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)) (kaiming_uniform with a = sqrt(5)).
TEST(EmbeddingHeadTest, PyTorchDefaultInitialisation) {
  torch::manual_seed(0);
  EmbeddingHead head(512, 256, 100);
  auto params = head->named_parameters();
  for (const auto& [name, fan_in] : std::vector<std::pair<std::string, double>>{
           {"embed", 512}, {"classifier", 256}}) {
    const double bound = 1.0 / std::sqrt(fan_in);
    const torch::Tensor w = params[name + ".weight"];
    const torch::Tensor b = params[name + ".bias"];
    EXPECT_LE(w.abs().max().item<double>(), bound) << name;
    EXPECT_GT(w.abs().max().item<double>(), 0.99 * bound) << name;
    EXPECT_LE(b.abs().max().item<double>(), bound) << name;
    // Uniform on [-bound, bound]: standard deviation bound / sqrt(3).
    EXPECT_NEAR(w.std().item<double>(), bound / std::sqrt(3.0), 0.02 * bound)
        << name;
  }
}

TEST(EmbeddingHeadTest, GradientsReachBothLayers) {
  EmbeddingHead head(8, 4, 3);
  head->Forward(torch::randn({2, 8})).logits.sum().backward();
  for (const auto& p : head->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_GT(p.grad().abs().sum().item<float>(), 0.0f);
  }
}

TEST(EmbeddingHeadTest, WrongInputWidthIsAClearError) {
  EmbeddingHead head(8, 4, 3);
  try {
    head->Forward(torch::randn({2, 7}));
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected pooled features [B, 8]"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace kd
