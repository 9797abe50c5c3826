#include "losses/crd.h"

#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

using ::testing::HasSubstr;
using testing::TensorFromJson;

TEST(CrdTest, MatchesReferenceValuesGradientsAndMemoryUpdate) {
  const nlohmann::json& ref = testing::ReferenceData()["crd"];
  const auto& in = ref["inputs"];
  LossContext context;
  context.student_embed_dim = 5;
  context.teacher_embed_dim = 7;
  context.dataset_size = ref["dataset_size"];
  auto loss = testing::MakeLoss(ref["spec"], context);
  auto* crd = dynamic_cast<CrdLoss*>(loss.get());
  ASSERT_NE(crd, nullptr);
  auto params = loss->named_parameters();
  auto buffers = loss->named_buffers();
  {
    at::NoGradGuard no_grad;
    params["embed_student.weight"].copy_(TensorFromJson(in["ws"]));
    params["embed_student.bias"].copy_(TensorFromJson(in["bs"]));
    params["embed_teacher.weight"].copy_(TensorFromJson(in["wt"]));
    params["embed_teacher.bias"].copy_(TensorFromJson(in["bt"]));
    buffers["memory_student"].copy_(TensorFromJson(in["memory_student"]));
    buffers["memory_teacher"].copy_(TensorFromJson(in["memory_teacher"]));
  }
  EXPECT_EQ(buffers["z_student"].item<double>(), -1);
  const at::Tensor student = TensorFromJson(in["student"]).requires_grad_(true);
  auto value =
      crd->ComputeWithContrast(student, TensorFromJson(in["teacher"]),
                               TensorFromJson(ref["indices"], at::kLong),
                               TensorFromJson(ref["contrast"], at::kLong));
  ASSERT_TRUE(value.ok()) << value.status();
  const auto close = [](double a, double b) {
    return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b));
  };
  EXPECT_TRUE(close(value->total.item<double>(), ref["total"]));
  EXPECT_TRUE(
      close(value->terms[0].second.item<double>(), ref["terms"]["student"]));
  EXPECT_TRUE(
      close(value->terms[1].second.item<double>(), ref["terms"]["teacher"]));
  EXPECT_TRUE(close(buffers["z_student"].item<double>(), ref["z_student"]));
  EXPECT_TRUE(close(buffers["z_teacher"].item<double>(), ref["z_teacher"]));
  value->total.backward();
  EXPECT_LT((student.grad() - TensorFromJson(ref["grads"]["student"]))
                .abs()
                .max()
                .item<double>(),
            1e-9);
  EXPECT_LT((params["embed_student.weight"].grad() -
             TensorFromJson(ref["grads"]["embed_student.weight"]))
                .abs()
                .max()
                .item<double>(),
            1e-9);
  EXPECT_LT(
      (buffers["memory_student"] - TensorFromJson(ref["memory_student_after"]))
          .abs()
          .max()
          .item<double>(),
      1e-12);
  EXPECT_LT(
      (buffers["memory_teacher"] - TensorFromJson(ref["memory_teacher_after"]))
          .abs()
          .max()
          .item<double>(),
      1e-12);
}

LossContext ClassContext() {
  LossContext context;
  context.student_embed_dim = 6;
  context.teacher_embed_dim = 8;
  context.dataset_size = 40;
  for (int i = 0; i < 40; ++i) context.dataset_labels.push_back(i % 4);
  return context;
}

TEST(CrdTest, ClassSamplingDrawsOnlyOtherClasses) {
  const LossContext context = ClassContext();
  auto loss = testing::MakeLoss("crd:nce_k=500,feat_dim=8", context);
  auto* crd = dynamic_cast<CrdLoss*>(loss.get());
  const at::Tensor indices = at::tensor({0, 5, 10, 39}, at::kLong);
  const at::Tensor labels = indices.remainder(4);
  const at::Tensor contrast = crd->SampleContrast(indices, labels);
  ASSERT_EQ(contrast.sizes(), (at::IntArrayRef{4, 501}));
  EXPECT_TRUE(contrast.select(1, 0).equal(indices));
  const at::Tensor negatives = contrast.slice(1, 1);
  EXPECT_TRUE(negatives.ge(0).all().item<bool>());
  EXPECT_TRUE(negatives.lt(40).all().item<bool>());
  EXPECT_FALSE(
      negatives.remainder(4).eq(labels.unsqueeze(1)).any().item<bool>());
  // Every index of the other classes (30 of them) shows up in 500 draws.
  EXPECT_EQ(std::get<0>(at::_unique(negatives[0])).numel(), 30);
}

TEST(CrdTest, StateIsInBuffersAndFixedAfterTheFirstBatch) {
  auto loss = testing::MakeLoss("crd:nce_k=16,feat_dim=8", ClassContext());
  auto buffers = loss->named_buffers();
  EXPECT_EQ(buffers["memory_student"].sizes(), (at::IntArrayRef{40, 8}));
  EXPECT_LE(buffers["memory_student"].abs().max().item<double>(),
            1 / std::sqrt(8 / 3.0));
  EXPECT_EQ(loss->named_parameters().size(), 4u);
  LossInputs in;
  in.student_embed = at::randn({4, 6}, at::kDouble).requires_grad_(true);
  in.teacher_embed = at::randn({4, 8}, at::kDouble);
  in.indices = at::tensor({1, 2, 3, 4}, at::kLong);
  in.labels = in.indices.remainder(4);
  auto first = loss->Compute(in);
  ASSERT_TRUE(first.ok()) << first.status();
  const double z = buffers["z_student"].item<double>();
  EXPECT_GT(z, 0);
  const at::Tensor rows = buffers["memory_student"].index_select(0, in.indices);
  EXPECT_TRUE(at::allclose(rows.norm(2, {1}), at::ones({4}, at::kDouble)));
  loss->eval();
  const at::Tensor before = buffers["memory_student"].clone();
  ASSERT_TRUE(loss->Compute(in).ok());
  EXPECT_EQ(buffers["z_student"].item<double>(), z);
  EXPECT_TRUE(buffers["memory_student"].equal(before));  // eval: no update
}

TEST(CrdTest, Errors) {
  LossContext context = ClassContext();
  context.dataset_labels.clear();
  EXPECT_THAT(
      Loss::Registry::Global().Create("crd", context).status().message(),
      HasSubstr("sampling=class needs LossContext::dataset_labels"));
  EXPECT_TRUE(
      Loss::Registry::Global().Create("crd:sampling=uniform", context).ok());
  context.dataset_size = 0;
  EXPECT_THAT(Loss::Registry::Global()
                  .Create("crd:sampling=uniform", context)
                  .status()
                  .message(),
              HasSubstr("dataset_size >= 2"));
  auto loss = testing::MakeLoss("crd:nce_k=4", ClassContext());
  LossInputs in;
  in.student_embed = at::randn({2, 6}, at::kDouble);
  in.teacher_embed = at::randn({2, 8}, at::kDouble);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("crd needs indices"));
  in.indices = at::tensor({3, 40}, at::kLong);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("indices must lie in [0, 40)"));
  in.indices = at::tensor({3, 4}, at::kLong);
  in.labels = at::tensor({3, 1}, at::kLong);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("labels differ from LossContext::dataset_labels"));
}

}  // namespace
}  // namespace kd
