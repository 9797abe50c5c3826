// SGD momentum in checkpoints: saved by parameter name, restored into a fresh
// optimiser so that the next step equals the unbroken optimiser's, and
// mis-shaped entries are errors naming them.
#include "kd/train/sgd_state.h"

#include <torch/torch.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

struct Model : torch::nn::Module {
  Model() {
    a = register_module("a", torch::nn::Linear(3, 2));
    b = register_module("b", torch::nn::Linear(2, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) { return b(a(x)); }
  torch::nn::Linear a{nullptr}, b{nullptr};
};

void Step(Model& model, torch::optim::SGD& sgd, const torch::Tensor& x) {
  sgd.zero_grad();
  model.forward(x).pow(2).sum().backward();
  sgd.step();
}

TEST(SgdStateTest, RestoredMomentumContinuesLikeTheUnbrokenOptimiser) {
  torch::manual_seed(1);
  Model model, copy;
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < model.parameters().size(); ++i) {
      copy.parameters()[i].copy_(model.parameters()[i]);
    }
  }
  const auto options = torch::optim::SGDOptions(0.1).momentum(0.9);
  torch::optim::SGD sgd(model.parameters(), options);
  const torch::Tensor x = torch::randn({4, 3});
  Step(model, sgd, x);
  Step(model, sgd, x);

  TensorMap state;
  AddSgdState(sgd, model, "opt.", &state);
  EXPECT_EQ(state.size(), 4u);
  EXPECT_TRUE(state.count("opt.a.weight") && state.count("opt.b.bias"));

  // The copy catches up by taking the same two steps with its own optimiser,
  // then continues with restored momentum in a fresh one.
  torch::optim::SGD warm(copy.parameters(), options);
  Step(copy, warm, x);
  Step(copy, warm, x);
  torch::optim::SGD fresh(copy.parameters(), options);
  ASSERT_TRUE(LoadSgdState(state, "opt.", "ckpt", copy, &fresh).ok());
  Step(model, sgd, x);
  Step(copy, fresh, x);
  for (size_t i = 0; i < model.parameters().size(); ++i) {
    EXPECT_TRUE(model.parameters()[i].equal(copy.parameters()[i])) << i;
  }
}

TEST(SgdStateTest, MissingEntriesMeanNoStateAndMisShapedOnesAreErrors) {
  Model model;
  torch::optim::SGD sgd(model.parameters(),
                        torch::optim::SGDOptions(0.1).momentum(0.9));
  TensorMap none;
  AddSgdState(sgd, model, "opt.", &none);
  EXPECT_TRUE(none.empty());  // no step taken: no momentum yet
  EXPECT_TRUE(LoadSgdState(none, "opt.", "ckpt", model, &sgd).ok());
  EXPECT_TRUE(sgd.state().empty());

  TensorMap bad = {{"opt.a.weight", torch::zeros({3, 3})}};
  const absl::Status status = LoadSgdState(bad, "opt.", "ckpt.pt", model, &sgd);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("checkpoint ckpt.pt: optimiser state opt.a.weight has "
                        "shape [3, 3], parameter has [2, 3]"));
}

}  // namespace
}  // namespace kd
