// State dicts between this library and PyTorch (backbones/state_dict.h),
// checked against python3-torch at test time: testdata/interop.py exports
// reference networks (testdata/reference_models.py) and checks what is saved
// here.
#include "backbones/state_dict.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/backbones/zoo_test_util.h"
#include "tests/testing/paths.h"

namespace kd {
namespace {

using ::kd::testing::TestTempDir;

using ::kd::testing::MakeBackbone;
using ::kd::testing::TestDataPath;
using ::testing::HasSubstr;

// Networks exported by PyTorch and loaded here; the first three are also
// saved here and loaded by PyTorch.
const std::vector<std::string>& FromPyTorch() {
  static const auto* names = new std::vector<std::string>{
      "resnet8x4", "resnet32x4", "wrn_40_2",  "resnet20",    "wrn_16_1",
      "vgg8",      "ShuffleV1",  "ShuffleV2", "MobileNetV2", "ResNet18"};
  return *names;
}
const std::vector<std::string>& ToPyTorch() {
  static const auto* names = new std::vector<std::string>{
      "resnet8x4", "resnet32x4", "wrn_40_2", "ShuffleV2"};
  return *names;
}

// Runs interop.py with `args`; returns its stdout, fails the test on error.
std::string RunInterop(const std::string& args) {
  const std::string command =
      "/usr/bin/python3 " + TestDataPath("interop.py") + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return "";
  }
  std::string output;
  char buffer[4096];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int rc = pclose(pipe);
  EXPECT_EQ(rc, 0) << command << "\n" << output;
  return output;
}

float MaxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<float>();
}

class StateDictTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    torch::set_num_threads(1);
    RunInterop("export " + TestTempDir() + " " +
               absl::StrJoin(FromPyTorch(), " "));
  }
  static std::string Exported(const std::string& net, const std::string& kind) {
    return TestTempDir() + "/" + net + "." + kind + ".pt";
  }
};

TEST_F(StateDictTest, PyTorchStateDictsLoadAndGiveTheSameLogits) {
  for (const std::string& name : FromPyTorch()) {
    SCOPED_TRACE(name);
    std::unique_ptr<Backbone> net = MakeBackbone(name, 100);
    ASSERT_TRUE(LoadStateDict(*net, Exported(name, "state")).ok());
    absl::StatusOr<TensorMap> io = LoadTensorMap(Exported(name, "io"));
    ASSERT_TRUE(io.ok()) << io.status();
    net->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor logits = net->Forward(io->at("input")).logits;
    // 1e-5 absolute for the networks the interop is specified on; relative
    // to the largest logit for the others (float sums in another order).
    const bool specified =
        name == "resnet8x4" || name == "resnet32x4" || name == "wrn_40_2";
    const float scale =
        specified ? 1.0f
                  : std::max(1.0f, io->at("logits").abs().max().item<float>());
    EXPECT_LT(MaxAbsDiff(logits, io->at("logits")), 1e-5 * scale);
    // Buffers came too: two train-mode passes in PyTorch.
    for (const auto& b : net->named_buffers()) {
      if (b.key().find("num_batches_tracked") != std::string::npos) {
        EXPECT_EQ(b.value().item<int64_t>(), 2) << b.key();
      }
    }
  }
}

TEST_F(StateDictTest, SavedHereLoadsStrictlyInPyTorchWithTheSameLogits) {
  std::map<std::string, float> largest_logit;
  for (const std::string& name : ToPyTorch()) {
    SCOPED_TRACE(name);
    torch::manual_seed(42);
    std::unique_ptr<Backbone> net = MakeBackbone(name, 100);
    const int64_t side = net->native_input_size();
    {
      torch::NoGradGuard no_grad;
      net->train();  // running statistics that differ from the defaults
      for (int i = 0; i < 2; ++i)
        net->Forward(torch::randn({4, 3, side, side}));
      net->eval();
    }
    const torch::Tensor input = torch::randn({2, 3, side, side});
    torch::Tensor logits;
    {
      torch::NoGradGuard no_grad;
      logits = net->Forward(input).logits;
    }
    ASSERT_TRUE(SavePyTorchLoadable(*net, Exported(name, "cc_state")).ok());
    ASSERT_TRUE(SaveTensorMap(Exported(name, "cc_io"),
                              {{"input", input}, {"logits", logits}})
                    .ok());
    largest_logit[name] = logits.abs().max().item<float>();
  }
  // One line per network: "<name> <max |difference|> <max |logit|>".
  std::istringstream lines(RunInterop("check " + TestTempDir() + " " +
                                      absl::StrJoin(ToPyTorch(), " ")));
  std::map<std::string, double> difference;
  std::string name;
  double diff, largest;
  while (lines >> name >> diff >> largest) difference[name] = diff;
  for (const std::string& net : ToPyTorch()) {
    ASSERT_EQ(difference.count(net), 1u) << "no result for " << net;
    EXPECT_LT(difference[net], 1e-5) << net;
    EXPECT_GT(largest_logit[net], 0.0f) << net;
  }
}

TEST_F(StateDictTest, RoundTripHereIsExact) {
  torch::manual_seed(1);
  std::unique_ptr<Backbone> a = MakeBackbone("wrn_16_2", 10);
  std::unique_ptr<Backbone> b = MakeBackbone("wrn_16_2", 10);
  const std::string path = TestTempDir() + "/roundtrip.pt";
  ASSERT_TRUE(SavePyTorchLoadable(*a, path).ok());
  ASSERT_TRUE(LoadStateDict(*b, path).ok());
  a->eval();
  b->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 3, 32, 32});
  EXPECT_TRUE(torch::equal(a->Forward(x).logits, b->Forward(x).logits));
}

TEST_F(StateDictTest, CheckpointDictsAndDataParallelNamesLoad) {
  for (const char* kind : {"nested", "dataparallel"}) {
    std::unique_ptr<Backbone> net = MakeBackbone("resnet8x4", 100);
    const absl::Status status =
        LoadStateDict(*net, Exported("resnet8x4", kind));
    EXPECT_TRUE(status.ok()) << kind << ": " << status;
  }
}

TEST_F(StateDictTest, OrderedDictIsAClearError) {
  std::unique_ptr<Backbone> net = MakeBackbone("resnet8x4", 100);
  const absl::Status status =
      LoadStateDict(*net, Exported("resnet8x4", "ordered"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("torch.save(dict(model.state_dict()), f)"));
}

TEST_F(StateDictTest, AnotherArchitectureListsTheMismatchedTensors) {
  std::unique_ptr<Backbone> net = MakeBackbone("resnet32x4", 100);
  const torch::Tensor before = net->named_parameters()["conv1.weight"].clone();
  const absl::Status status =
      LoadStateDict(*net, Exported("resnet8x4", "state"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("missing: layer1.1.conv1.weight"));
  // Nothing was copied, not even the tensors that matched.
  EXPECT_TRUE(torch::equal(net->named_parameters()["conv1.weight"], before));

  std::unique_ptr<Backbone> wrn = MakeBackbone("wrn_40_2", 100);
  const absl::Status wrn_status =
      LoadStateDict(*wrn, Exported("resnet8x4", "state"));
  EXPECT_THAT(wrn_status.message(), HasSubstr("block1.layer.0.bn1.weight"));
  EXPECT_THAT(wrn_status.message(), HasSubstr("unexpected: "));
  EXPECT_THAT(wrn_status.message(), HasSubstr("layer1.0.conv1.weight"));
}

TEST_F(StateDictTest, MissingExtraAndMisShapedTensorsAreListed) {
  std::unique_ptr<Backbone> net = MakeBackbone("resnet8", 100);
  TensorMap state;
  for (const auto& p : net->named_parameters()) state[p.key()] = p.value();
  for (const auto& b : net->named_buffers()) state[b.key()] = b.value();
  state.erase("bn1.running_mean");
  state["extra.weight"] = torch::zeros({3});
  state["fc.weight"] = torch::zeros({10, 64});
  const absl::Status status = LoadStateDict(*net, state, "my.pt");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("my.pt"));
  EXPECT_THAT(status.message(), HasSubstr("1 missing: bn1.running_mean"));
  EXPECT_THAT(status.message(), HasSubstr("1 unexpected: extra.weight"));
  EXPECT_THAT(status.message(),
              HasSubstr("fc.weight (file [10, 64], model [100, 64])"));
}

TEST_F(StateDictTest, UnreadableFilesAreClearErrors) {
  std::unique_ptr<Backbone> net = MakeBackbone("resnet8", 10);
  EXPECT_EQ(LoadStateDict(*net, TestTempDir() + "/does_not_exist.pt").code(),
            absl::StatusCode::kNotFound);
  const std::string text = TestTempDir() + "/text.pt";
  std::ofstream(text) << "not a state dict";
  const absl::Status status = LoadStateDict(*net, text);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("not a PyTorch zip archive"));
}

TEST_F(StateDictTest, TensorMapRoundTrip) {
  const std::string path = TestTempDir() + "/dict.pt";
  const TensorMap written = {{"a", torch::arange(6).view({2, 3})},
                             {"b", torch::ones({1}, torch::kDouble)}};
  ASSERT_TRUE(SaveTensorMap(path, written).ok());
  absl::StatusOr<TensorMap> read = LoadTensorMap(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_TRUE(torch::equal(read->at("a"), written.at("a")));
  EXPECT_TRUE(torch::equal(read->at("b"), written.at("b")));
}

}  // namespace
}  // namespace kd
