// Networks (backbone + embedding head + spec): built from a spec, saved with
// their spec under a prefix, rebuilt from a checkpoint alone; module state in
// and out of a flat tensor map; clear errors for files of other networks.
#include "backbones/network.h"

#include <torch/torch.h>

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"

namespace kd {
namespace {

using ::kd::testing::TestTempPath;

using ::testing::HasSubstr;

NetworkSpec Resnet8Spec() {
  NetworkSpec spec;
  spec.backbone = "resnet8";
  spec.num_classes = 10;
  spec.embed_dim = 12;
  spec.input_size = 32;
  spec.normalize = "clip";
  return spec;
}

TEST(NetworkTest, ForwardGivesFeaturesEmbeddingAndLogits) {
  auto net = CreateNetwork(Resnet8Spec());
  ASSERT_TRUE(net.ok()) << net.status();
  net->Train(false);
  const Network::Output out = net->Forward(torch::randn({3, 3, 32, 32}));
  EXPECT_EQ(out.backbone.pooled.sizes(), (std::vector<int64_t>{3, 64}));
  EXPECT_EQ(out.head.embedding.sizes(), (std::vector<int64_t>{3, 12}));
  EXPECT_EQ(out.head.logits.sizes(), (std::vector<int64_t>{3, 10}));
  EXPECT_THAT(std::string(CreateNetwork({"resnet9"}).status().message()),
              HasSubstr("resnet8"));  // unknown name: the nearest one
}

TEST(NetworkTest, ACheckpointRebuildsTheSameNetwork) {
  torch::manual_seed(4);
  auto net = CreateNetwork(Resnet8Spec());
  ASSERT_TRUE(net.ok());
  TensorMap state;
  AddNetworkState(*net, "model.", &state);
  EXPECT_TRUE(state.count("model.backbone.conv1.weight"));
  EXPECT_TRUE(state.count("model.head.embed.weight"));
  const std::string path = TestTempPath("network.pt");
  ASSERT_TRUE(SaveTensorMap(path, state).ok());

  torch::manual_seed(5);  // another initialisation, overwritten by the file
  auto loaded = LoadNetworkCheckpoint(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->spec.backbone, "resnet8");
  EXPECT_EQ(loaded->spec.normalize, "clip");
  EXPECT_EQ(loaded->spec.num_classes, 10);
  EXPECT_EQ(loaded->spec.embed_dim, 12);
  EXPECT_EQ(loaded->spec.input_size, 32);
  net->Train(false);
  loaded->Train(false);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 3, 32, 32});
  EXPECT_TRUE(
      net->Forward(x).head.logits.equal(loaded->Forward(x).head.logits));
}

TEST(NetworkTest, FilesWithoutASpecOrOfAnotherShapeAreErrors) {
  auto net = CreateNetwork(Resnet8Spec());
  ASSERT_TRUE(net.ok());
  TensorMap plain;
  AddModuleState(*net->backbone, "", &plain);
  const std::string path = TestTempPath("plain_state_dict.pt");
  ASSERT_TRUE(SaveTensorMap(path, plain).ok());
  EXPECT_THAT(std::string(LoadNetworkCheckpoint(path).status().message()),
              HasSubstr("not a checkpoint written by tools/train"));
  EXPECT_EQ(LoadNetworkCheckpoint(TestTempPath("missing.pt")).status().code(),
            absl::StatusCode::kNotFound);

  TensorMap state;
  AddNetworkState(*net, "model.", &state);
  state["model.spec.sizes"] = torch::tensor({10, 12});
  EXPECT_THAT(
      std::string(ReadNetworkSpec(state, "model.", "x.pt").status().message()),
      HasSubstr("spec.sizes has 2 entries, expected 3"));
}

TEST(ModuleStateTest, PrefixedEntriesLoadIntoAModuleOrNameWhatIsWrong) {
  torch::manual_seed(1);
  auto a = CreateNetwork(Resnet8Spec());
  torch::manual_seed(2);
  auto b = CreateNetwork(Resnet8Spec());
  ASSERT_TRUE(a.ok() && b.ok());
  TensorMap state;
  AddModuleState(*a->head, "teacher_head.", &state);
  AddModuleState(*a->backbone, "model.backbone.", &state);
  ASSERT_TRUE(
      LoadModuleState(state, "teacher_head.", "ckpt", b->head.get()).ok());
  EXPECT_TRUE(a->head->named_parameters()["embed.weight"].equal(
      b->head->named_parameters()["embed.weight"]));

  NetworkSpec wider = Resnet8Spec();
  wider.embed_dim = 16;
  auto c = CreateNetwork(wider);
  ASSERT_TRUE(c.ok());
  const absl::Status mismatch =
      LoadModuleState(state, "teacher_head.", "ckpt.pt", c->head.get());
  EXPECT_EQ(mismatch.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mismatch.message(),
              HasSubstr("checkpoint ckpt.pt (entries teacher_head.*"));
  EXPECT_THAT(mismatch.message(),
              HasSubstr("embed.weight (file [12, 64], model [16, 64])"));
}

TEST(StringTensorTest, TextRoundTrips) {
  const std::string text = "resnet8x4:width=2 \xc3\xa9";
  EXPECT_EQ(TensorString(StringTensor(text)), text);
  EXPECT_EQ(TensorString(StringTensor("")), "");
}

}  // namespace
}  // namespace kd
