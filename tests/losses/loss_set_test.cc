#include "losses/loss_set.h"

#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

LossInputs Batch() {
  LossInputs in;
  in.student_embed = at::randn({4, 3}).requires_grad_(true);
  in.teacher_embed = at::randn({4, 3});
  in.student_logits = at::randn({4, 5}).requires_grad_(true);
  in.teacher_logits = at::randn({4, 5});
  in.labels = at::tensor({0, 1, 2, 1}, at::kLong);
  return in;
}

std::vector<std::string> Names(const LossSetValue& value) {
  std::vector<std::string> names;
  for (const auto& [name, t] : value.terms) names.push_back(name);
  return names;
}

TEST(LossSetTest, WeightedTotalAndNamedTerms) {
  auto set = LossSet::Create({"ce:weight=0.5", "ega:node=0.8,edge=0.24;kd:T=2"},
                             LossContext{});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->Describe(),
            "0.5 * ce + 1 * ega:node=0.8,edge=0.24 + 1 * kd:T=2");
  const LossInputs in = Batch();
  auto value = (*set)->Compute(in);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_THAT(Names(*value),
              ElementsAre("ce", "ega", "ega/node", "ega/edge", "kd"));
  const double ce = value->terms[0].second.item<double>();
  const double ega = value->terms[1].second.item<double>();
  const double kd = value->terms[4].second.item<double>();
  EXPECT_NEAR(ega,
              0.8 * value->terms[2].second.item<double>() +
                  0.24 * value->terms[3].second.item<double>(),
              1e-5);
  EXPECT_NEAR(value->total.item<double>(), 0.5 * ce + ega + kd, 1e-5);
  EXPECT_FALSE(value->terms[0].second.requires_grad());
  value->total.backward();
  EXPECT_TRUE(in.student_embed.grad().defined());
  EXPECT_TRUE(in.student_logits.grad().defined());
}

// Data-parallel runs: a whole-batch loss (ega) computes on
// LossInputs::whole_batch, a per-example one (ce, kd) on the rank's own
// batch; without whole_batch both see the local batch.
TEST(LossSetTest, WholeBatchLossesReadTheGatheredBatch) {
  auto set = LossSet::Create({"ce", "ega", "kd"}, LossContext{});
  ASSERT_TRUE(set.ok()) << set.status();
  const LossInputs local = Batch();
  LossInputs whole = Batch();  // other values: "every rank's rows"
  whole.student_embed = at::cat({local.student_embed, whole.student_embed});
  whole.teacher_embed = at::cat({local.teacher_embed, whole.teacher_embed});
  LossInputs routed = local;
  routed.whole_batch = &whole;
  auto value = (*set)->Compute(routed);
  ASSERT_TRUE(value.ok()) << value.status();
  auto alone = [&](const std::string& spec, const LossInputs& in) {
    auto one = LossSet::Create({spec}, LossContext{});
    return (*(*one)->Compute(in)).total.item<double>();
  };
  EXPECT_DOUBLE_EQ(value->terms[0].second.item<double>(), alone("ce", local));
  EXPECT_DOUBLE_EQ(value->terms[1].second.item<double>(), alone("ega", whole));
  EXPECT_NE(alone("ega", whole), alone("ega", local));
  EXPECT_DOUBLE_EQ(value->terms[4].second.item<double>(), alone("kd", local));
}

// Which losses couple the examples of a batch (docs/distributed.md).
TEST(LossSetTest, BatchGraphLossesSayTheyCoupleTheBatch) {
  LossContext context;
  context.student_embed_dim = context.teacher_embed_dim = 8;
  context.student_feature_dim = context.teacher_feature_dim = 8;
  context.num_classes = 5;
  context.dataset_size = 16;
  context.dataset_labels = std::vector<int64_t>(16, 0);
  for (int64_t i = 0; i < 16; ++i) context.dataset_labels[i] = i % 5;
  for (const std::string& name :
       {"ega", "rkd", "pkt", "nce", "irg", "ccl", "crd", "sp", "cc", "dist"}) {
    auto set = LossSet::Create({name}, context);
    ASSERT_TRUE(set.ok()) << name << ": " << set.status();
    EXPECT_TRUE((*set)->losses()[0].loss->couples_batch()) << name;
  }
  for (const std::string& name : {"ce", "kd", "dkd", "fitnet"}) {
    auto set = LossSet::Create({name}, context);
    ASSERT_TRUE(set.ok()) << name << ": " << set.status();
    EXPECT_FALSE((*set)->losses()[0].loss->couples_batch()) << name;
  }
}

TEST(LossSetTest, ParametersAndBuffersOfEveryLossComeThroughTheSet) {
  LossContext context;
  context.student_embed_dim = context.teacher_embed_dim = 3;
  context.student_feature_dim = 6;
  context.teacher_feature_dim = 7;
  context.dataset_size = 10;
  auto set = LossSet::Create(
      {"ega:embed_dim=4", "crd:sampling=uniform,nce_k=3", "ega:weight=2"},
      context);
  ASSERT_TRUE(set.ok()) << set.status();
  std::vector<std::string> params;
  for (const auto& p : (*set)->named_parameters()) params.push_back(p.key());
  EXPECT_THAT(
      params,
      ElementsAre("ega.student_embed.weight", "ega.student_embed.bias",
                  "ega.teacher_embed.weight", "ega.teacher_embed.bias",
                  "crd.embed_student.weight", "crd.embed_student.bias",
                  "crd.embed_teacher.weight", "crd.embed_teacher.bias"));
  std::vector<std::string> buffers;
  for (const auto& b : (*set)->named_buffers()) buffers.push_back(b.key());
  EXPECT_THAT(buffers, ElementsAre("crd.memory_student", "crd.memory_teacher",
                                   "crd.z_student", "crd.z_teacher"));
  EXPECT_EQ((*set)->losses()[2].name, "ega_2");
  EXPECT_EQ((*set)->losses()[2].weight, 2);
}

TEST(LossSetTest, NonFiniteTermIsAnErrorNamingLossAndTerm) {
  auto set = LossSet::Create({"ce", "ega"}, LossContext{});
  ASSERT_TRUE(set.ok());
  LossInputs in = Batch();
  in.student_embed = in.student_embed.detach().clone();
  in.student_embed[1][2] = std::numeric_limits<float>::quiet_NaN();
  auto value = (*set)->Compute(in);
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(value.status().message(),
              HasSubstr("loss 'ega' term 'total' is not finite (nan)"));
}

TEST(LossSetTest, ErrorsNameTheSpecOrTheLoss) {
  EXPECT_THAT(LossSet::Create({}, LossContext{}).status().message(),
              HasSubstr("no loss given"));
  EXPECT_THAT(LossSet::Create({"ce;eg"}, LossContext{}).status().message(),
              HasSubstr("loss spec 'eg': unknown loss 'eg'"));
  EXPECT_THAT(
      LossSet::Create({"ce:weight=x"}, LossContext{}).status().message(),
      HasSubstr("loss spec 'ce:weight=x': weight 'x' is not a finite"));
  EXPECT_THAT(LossSet::Create({"kd:t=3"}, LossContext{}).status().message(),
              HasSubstr("'kd' has no option 't'; valid options: T"));
  auto set = LossSet::Create({"kd"}, LossContext{});
  ASSERT_TRUE(set.ok());
  LossInputs in;
  in.student_logits = at::randn({2, 3});
  EXPECT_THAT((*set)->Compute(in).status().message(),
              HasSubstr("loss 'kd': kd needs teacher_logits"));
}

TEST(LossSetTest, HelpListsEveryLossAndTheWeight) {
  const std::string help = LossSet::Help();
  for (const char* name : {"ce:", "ega:", "kd:", "fitnet:", "pkt:", "rkd:",
                           "nce:", "ccl:", "irg:", "crd:"}) {
    EXPECT_THAT(help, HasSubstr(name));
  }
  EXPECT_THAT(help, HasSubstr("graph (string, default pearson)"));
  EXPECT_THAT(help, HasSubstr("weight (double, default 1)"));
}

}  // namespace
}  // namespace kd
